# Runs inside GIMP (gimp-console-3.0 --batch-interpreter=python-fu-eval), driven by a plan file:
# for each case it loads a PNG, adds a second layer, calls python-fu-ai-upscale non-interactively,
# records what happened (status, error message, sizes, timing) and exports the upscaled layer.
# The host side (gimp_e2e.py) writes the plan and judges the results; this file only observes.
import json
import os
import time

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio

PLAN = os.environ['UPSCALER_E2E_PLAN']


def call_upscale(image, layer, case):
    procedure = Gimp.get_pdb().lookup_procedure('python-fu-ai-upscale')
    if procedure is None:
        return 'missing', 'python-fu-ai-upscale is not registered'
    config = procedure.create_config()
    config.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    config.set_property('image', image)
    config.set_core_object_array('drawables', [layer])
    config.set_property('scale', case['scale'])
    config.set_property('model', case['model'])
    config.set_property('denoise', case['denoise'])
    config.set_property('device', 'auto')
    result = procedure.run(config)
    status = result.index(0)
    message = ''
    if status != Gimp.PDBStatusType.SUCCESS:
        message = Gimp.get_pdb().get_last_error() or ''
    return status.value_nick, message


def run_case(case):
    record = {'name': case['name']}
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case['input']))
    layer = image.get_layers()[0]
    if case.get('decoded'):
        # The pixels GIMP decoded (its JPEG decoder may round differently from libvips'), for the host to compare.
        Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(case['decoded']), None)
    if case.get('pad'):
        # A canvas larger than the layer, which then sits at an offset: both must scale consistently.
        image.resize(image.get_width() + 4, image.get_height() + 2, 1, 1)
    # A second, offset layer: it must be scaled by GIMP (cubic) along with the canvas.
    other = Gimp.Layer.new(image, 'other', 10, 6, Gimp.ImageType.RGBA_IMAGE if layer.has_alpha() else Gimp.ImageType.RGB_IMAGE,
                           100, Gimp.LayerMode.NORMAL)
    image.insert_layer(other, None, 1)
    other.set_offsets(3, 2)
    record['before'] = {'canvas': [image.get_width(), image.get_height()], 'layer': [layer.get_width(), layer.get_height()],
                        'precision': image.get_precision().value_nick}
    undo_enabled = image.undo_is_enabled()
    started = time.monotonic()
    record['status'], record['message'] = call_upscale(image, layer, case)
    record['seconds'] = round(time.monotonic() - started, 3)
    record['after'] = {'canvas': [image.get_width(), image.get_height()], 'layer': [layer.get_width(), layer.get_height()],
                       'layer_offsets': list(layer.get_offsets()[1:]),
                       'other': [other.get_width(), other.get_height()], 'other_offsets': list(other.get_offsets()[1:]),
                       'precision': image.get_precision().value_nick, 'alpha': layer.has_alpha(),
                       'undo_enabled': undo_enabled}
    if record['status'] == 'success':
        image.remove_layer(other)  # export the upscaled layer alone, to compare with the command line
        image.resize_to_layers()
        Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(case['output']), None)
    image.delete()
    return record


def registration():
    """How the procedure presents itself in the PDB and the menus."""
    procedure = Gimp.get_pdb().lookup_procedure('python-fu-ai-upscale')
    if procedure is None:
        return {'name': 'registration', 'status': 'missing'}
    arguments = {}
    for spec in procedure.get_arguments():
        entry = {'type': spec.value_type.name}
        if hasattr(spec, 'minimum'):
            entry.update(minimum=spec.minimum, maximum=spec.maximum, default=spec.get_default_value())
        if spec.value_type.name in ('gchararray', 'gboolean'):
            entry['default'] = spec.get_default_value()
        if isinstance(spec, Gimp.ParamChoice) or 'Choice' in type(spec).__name__:
            entry['choices'] = list(Gimp.param_spec_choice_get_choice(spec).list_nicks())
            entry['default'] = Gimp.param_spec_choice_get_default(spec)
        arguments[spec.name] = entry
    return {'name': 'registration', 'status': 'found', 'menu_label': procedure.get_menu_label(),
            'menu_paths': list(procedure.get_menu_paths()), 'arguments': arguments}


with open(PLAN) as f:
    plan = json.load(f)
records = []
if plan.get('registration'):
    try:
        records.append(registration())
    except Exception as e:
        records.append({'name': 'registration', 'status': 'exception', 'message': '%s: %s' % (type(e).__name__, e)})
for case in plan['cases']:
    try:
        records.append(run_case(case))
    except Exception as e:  # one broken case must not hide the others' results
        records.append({'name': case['name'], 'status': 'exception', 'message': '%s: %s' % (type(e).__name__, e)})
with open(plan['results'], 'w') as f:
    json.dump(records, f, indent=1)
