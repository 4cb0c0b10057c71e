# Runs inside GIMP under dialog-run.sh: calls python-fu-ai-upscale in INTERACTIVE mode (so the
# plug-in shows its dialog, which dialog-run.sh accepts) and records the status and the factor the
# canvas grew by, which tells which settings the dialog held.
import json
import os

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio

work = os.environ['UPSCALER_E2E_WORK']
record = {}
try:
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(os.path.join(work, os.environ['UPSCALER_E2E_IMAGE'])))
    procedure = Gimp.get_pdb().lookup_procedure('python-fu-ai-upscale')
    config = procedure.create_config()
    config.set_property('run-mode', Gimp.RunMode.INTERACTIVE)
    config.set_property('image', image)
    config.set_core_object_array('drawables', image.get_selected_drawables())
    width = image.get_width()
    record['status'] = procedure.run(config).index(0).value_nick
    record['factor'] = image.get_width() / width
except Exception as e:
    record = {'status': 'exception', 'message': '%s: %s' % (type(e).__name__, e)}
with open(os.path.join(work, 'dialog.results.json'), 'w') as f:
    json.dump(record, f)
