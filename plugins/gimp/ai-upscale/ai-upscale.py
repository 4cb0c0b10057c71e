#!/usr/bin/env python3
# AI Upscale for GIMP 3.0: Filters > Enhance > AI Upscale...
#
# The pixels of the selected layer go to upscaler-bridge (the Upscaler engine behind a small binary
# protocol on stdin/stdout, see docs/bridge-protocol.md); the canvas and the other layers grow with
# GIMP's own cubic interpolation. Everything the procedure changes is one undo step. The dialog lists
# the models the bridge has installed (ours, the bundled open models and the user's), and denoise is
# automatic unless a strength is given: the bridge measures the layer, with the JPEG file's quality as
# a hint, and says what it chose.

import os
import sys

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gimp, Gegl, GLib, GObject

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_protocol  # noqa: E402  (lives beside this file, importable outside GIMP for tests)
import jpeg_quality  # noqa: E402
import model_menu  # noqa: E402

PROCEDURE = 'python-fu-ai-upscale'


class UpscaleError(Exception):
    """Something the user can fix, said in one line."""


def find_bridge():
    """$UPSCALER_BRIDGE if set, else bridge/upscaler-bridge[.exe] in this plug-in's folder (where the installer puts it)."""
    configured = os.environ.get('UPSCALER_BRIDGE')
    if configured:
        return configured
    name = 'upscaler-bridge.exe' if os.name == 'nt' else 'upscaler-bridge'
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bridge', name)


def output_size(width, height, scale):
    """The engine's rule (OutputSize.For): each side times the scale, rounded half away from zero, at least 1."""
    return max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5))


class LayerFormat:
    """How a layer's pixels travel to the bridge: a babl format name plus the channel count and bit depth.

    8-bit images go as u8; every deeper precision goes as u16, the most the engine takes. The perceptual
    (gamma-encoded, R'G'B') encoding is what the models were trained on, whatever the image's own TRC."""

    EIGHT_BIT = (Gimp.Precision.U8_LINEAR, Gimp.Precision.U8_NON_LINEAR, Gimp.Precision.U8_PERCEPTUAL)

    def __init__(self, image, layer):
        base = image.get_base_type()
        if base == Gimp.ImageBaseType.INDEXED:
            raise UpscaleError('AI Upscale works on RGB and grayscale images: convert this indexed image '
                               'with Image > Mode > RGB first')
        alpha = layer.has_alpha()
        self.bits = 8 if image.get_precision() in self.EIGHT_BIT else 16
        colour = "R'G'B'" if base == Gimp.ImageBaseType.RGB else "Y'"
        self.channels = (3 if base == Gimp.ImageBaseType.RGB else 1) + (1 if alpha else 0)
        self.babl = '%s%s u%d' % (colour, 'A' if alpha else '', self.bits)


def read_pixels(layer, fmt):
    rect = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return bytes(layer.get_buffer().get(rect, 1.0, fmt.babl, Gegl.AbyssPolicy.CLAMP))


def write_pixels(layer, fmt, result):
    # The shadow buffer plus merge_shadow(push_undo=True) records the change in the undo group;
    # writing the layer's own buffer would be lost on redo.
    rect = Gegl.Rectangle.new(0, 0, result.width, result.height)
    shadow = layer.get_shadow_buffer()
    shadow.set(rect, fmt.babl, result.pixels)
    shadow.flush()
    layer.merge_shadow(True)
    layer.update(0, 0, result.width, result.height)


def image_jpeg_quality(image):
    """The quality of the JPEG file the image came from, for automatic denoise; None when unknown.

    GIMP's JPEG loader records it in the "jpeg-settings" parasite (kept in XCF files too); without one,
    the imported file itself is read when it is a JPEG."""
    parasite = image.get_parasite('jpeg-settings')
    if parasite is not None:
        quality = jpeg_quality.from_parasite(bytes(parasite.get_data()))
        if quality:
            return quality
    for file in (image.get_imported_file(), image.get_file()):
        path = file.get_path() if file is not None else None
        if path:
            quality = jpeg_quality.from_file(path)
            if quality:
                return quality
    return None


def run_bridge(bridge, image, layer, fmt, settings):
    """Sends the layer to the bridge with GIMP's progress bar following along; returns the RESULT and
    what automatic denoise chose (None for a fixed strength)."""
    pixels = read_pixels(layer, fmt)
    title = 'AI upscale x%g (%s)' % (settings['scale'], settings['model'])
    Gimp.progress_init(title)
    chosen = []

    def on_denoise(denoise):
        chosen.append(denoise)
        if denoise.used:
            Gimp.progress_set_text('%s, denoise %s' % (title, bridge_protocol.describe_denoise(denoise)))

    def on_progress(done, total):
        Gimp.progress_update(done / total if total else 1.0)
        # Cancelling in GIMP kills this plug-in; the bridge then sees its input end and stops the
        # inference itself, so there is nothing to poll here.
        return True

    auto = settings['denoise'] == 'auto'
    try:
        result = bridge.upscale(layer.get_width(), layer.get_height(), fmt.channels, fmt.bits, pixels,
                                settings['scale'], settings['model'], settings['denoise'], settings['device'],
                                on_progress=on_progress, on_denoise=on_denoise,
                                jpeg_quality=image_jpeg_quality(image) if auto else None,
                                faces='auto' if settings['faces'] else 'off', face_strength=settings['face-strength'])
    finally:
        Gimp.progress_end()
    return result, (chosen[0] if chosen else None)


def upscale(bridge, image, layer, settings):
    """Upscales the layer and grows the canvas; returns what automatic denoise chose (or None)."""
    fmt = LayerFormat(image, layer)
    result, chosen = run_bridge(bridge, image, layer, fmt, settings)
    expected = output_size(layer.get_width(), layer.get_height(), settings['scale'])
    if (result.width, result.height) != expected or result.channels != fmt.channels or result.bits != fmt.bits:
        raise UpscaleError('the bridge returned a %dx%d %d-channel %d-bit image, expected %dx%d %d-channel %d-bit'
                           % (result.width, result.height, result.channels, result.bits,
                              expected[0], expected[1], fmt.channels, fmt.bits))

    scale = settings['scale']
    canvas = output_size(image.get_width(), image.get_height(), scale)
    _, x, y = layer.get_offsets()
    image.undo_group_start()
    Gimp.context_push()
    try:
        Gimp.context_set_interpolation(Gimp.InterpolationType.CUBIC)
        image.scale(*canvas)  # canvas and every layer, cubic
        if (layer.get_width(), layer.get_height()) != expected:
            layer.scale(expected[0], expected[1], False)
        layer.set_offsets(int(x * scale + 0.5) if x >= 0 else -int(-x * scale + 0.5),
                          int(y * scale + 0.5) if y >= 0 else -int(-y * scale + 0.5))
        write_pixels(layer, fmt, result)
    finally:
        Gimp.context_pop()
        image.undo_group_end()
    Gimp.displays_flush()
    return chosen


def settings_from(config):
    """The PDB arguments as the bridge client takes them: denoise -1 (or any negative) means automatic."""
    denoise = config.get_property('denoise')
    return {'scale': config.get_property('scale'), 'model': model_menu.canonical(config.get_property('model') or ''),
            'denoise': 'auto' if denoise < 0 else denoise, 'device': config.get_property('device'),
            'faces': config.get_property('faces'), 'face-strength': config.get_property('face-strength')}


def the_layer(image, drawables):
    if len(drawables) != 1:
        raise UpscaleError('select exactly one layer to upscale (%d drawables are selected)' % len(drawables))
    layer = drawables[0]
    if not isinstance(layer, Gimp.Layer) or isinstance(layer, Gimp.GroupLayer):
        raise UpscaleError('select a pixel layer to upscale, not a layer group, mask or channel')
    return layer


def failure(procedure, message):
    error = GLib.Error.new_literal(Gimp.PlugIn.error_quark(), 'AI Upscale: ' + message, 0)
    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, error)


def show_dialog(procedure, config, models):
    """The dialog: scale, every installed model, automatic denoise or a strength, restore faces and
    face strength, device. The denoise controls are disabled, with the reason under them, for models
    without a denoise control; the face strength while faces are not restored. Returns
    whether the user accepted; the PDB argument "denoise" then holds -1 (automatic) or the strength."""
    gi.require_version('GimpUi', '3.0')
    gi.require_version('Gtk', '3.0')
    from gi.repository import GimpUi, Gtk
    GimpUi.init(PROCEDURE)

    # The dialog edits two helper values; the PDB argument follows them on OK.
    denoise = config.get_property('denoise')
    config.set_property('auto-denoise', denoise < 0)
    if denoise >= 0:
        config.set_property('denoise-strength', denoise)
    config.set_property('model', model_menu.canonical(config.get_property('model') or 'general'))

    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config, title='AI Upscale')
    store = Gtk.ListStore(str, str)
    for value, label in model_menu.entries(models, config.get_property('model')):
        store.append([value, label])
    combo = GimpUi.prop_string_combo_box_new(config, 'model', store, 0, 1)
    combo.set_hexpand(True)
    note = dialog.get_label('denoise-note', '', False, False)
    note.set_xalign(0.0)
    strength = dialog.get_scale_entry('denoise-strength', 1.0)
    auto = dialog.get_widget('auto-denoise', GObject.TYPE_NONE)
    face_strength = dialog.get_scale_entry('face-strength', 1.0)
    box = dialog.fill_box('settings', ['scale', 'auto-denoise', 'denoise-strength', 'denoise-note',
                                       'faces', 'face-strength', 'device'])

    row = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=6)
    label = Gtk.Label.new_with_mnemonic('_Model')
    label.set_mnemonic_widget(combo)
    row.pack_start(label, False, False, 0)
    row.pack_start(combo, True, True, 0)
    box.pack_start(row, False, False, 0)
    box.reorder_child(row, 1)
    row.show_all()

    def sync(*_):
        usable, text = model_menu.denoise_note(models, config.get_property('model') or '', config.get_property('auto-denoise'))
        auto.set_sensitive(usable)
        strength.set_sensitive(usable and not config.get_property('auto-denoise'))
        note.set_text(text)
        face_strength.set_sensitive(config.get_property('faces'))

    handlers = [config.connect('notify::%s' % name, sync) for name in ('model', 'auto-denoise', 'faces')]
    sync()
    dialog.fill(['settings'])
    accepted = dialog.run()
    for handler in handlers:
        config.disconnect(handler)
    dialog.destroy()
    if accepted:
        config.set_property('denoise', -1.0 if config.get_property('auto-denoise') else config.get_property('denoise-strength'))
    return accepted


def run(procedure, run_mode, image, drawables, config, data):
    interactive = run_mode == Gimp.RunMode.INTERACTIVE
    try:
        # One bridge serves the dialog's model list and then the upscale: it starts (and its start is paid) once.
        with bridge_protocol.BridgeProcess(find_bridge()) as bridge:
            if interactive:
                # GIMP fills config with the last values used and saves them again after a successful run.
                if not show_dialog(procedure, config, bridge.list_models()['models']):
                    return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
            chosen = upscale(bridge, image, the_layer(image, drawables), settings_from(config))
    except (UpscaleError, bridge_protocol.BridgeError, bridge_protocol.BridgeMissingError, ValueError) as e:
        return failure(procedure, str(e))
    except bridge_protocol.ProtocolError as e:
        return failure(procedure, 'the upscaler bridge failed: %s' % e)
    if interactive and chosen is not None and chosen.used:
        # GIMP names the plug-in above the message (a dialog, or the error console when it is open).
        Gimp.message('Denoise: %s' % bridge_protocol.describe_denoise(chosen))
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def choice(*entries):
    c = Gimp.Choice.new()
    for number, (nick, label) in enumerate(entries):
        c.add(nick, number, label, '')
    return c


class AiUpscale(Gimp.PlugIn):
    def do_query_procedures(self):
        return [PROCEDURE]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        procedure.set_image_types('RGB*, GRAY*')
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label('AI _Upscale...')
        procedure.add_menu_path('<Image>/Filters/Enhance/')
        procedure.set_documentation(
            'Enlarge the image with an AI model',
            'Grows the canvas by the scale factor. The selected layer is upscaled by the Upscaler engine '
            '(model and denoise as chosen; denoise -1 measures the layer and chooses); the other layers '
            'are scaled with cubic interpolation. Alpha and 8/16-bit precision are kept. One undo step.',
            name)
        procedure.set_attribution('Upscaler', 'Upscaler', '2026')
        procedure.add_double_argument('scale', 'Scale _factor', 'Scale factor, 1 to 8', 1.0, 8.0, 2.0,
                                      GObject.ParamFlags.READWRITE)
        procedure.add_string_argument('model', '_Model',
                                      'Model: a kind (general, face, text, sharp, anime) or a model id from '
                                      '"upscaler models" (ours, the bundled open models, or one you added)',
                                      'general', GObject.ParamFlags.READWRITE)
        procedure.add_double_argument('denoise', '_Denoise',
                                      'Denoise strength, 0 (keep grain) to 1 (remove noise and JPEG artifacts); '
                                      '-1 = automatic (measured in the layer, with the JPEG file\'s quality as a hint)',
                                      -1.0, 1.0, -1.0, GObject.ParamFlags.READWRITE)
        procedure.add_boolean_argument('faces', 'R_estore faces', 'Find faces and restore each with the face model '
                                       '(general model only, when a face model is installed for the scale)',
                                       True, GObject.ParamFlags.READWRITE)
        procedure.add_double_argument('face-strength', 'Face stren_gth', 'How much of each restored face replaces '
                                      'the general result, 0 to 1', 0.0, 1.0, 1.0, GObject.ParamFlags.READWRITE)
        procedure.add_choice_argument('device', 'De_vice', 'Where to run: auto, cpu or gpu',
                                      choice(('auto', 'Automatic (GPU if available)'), ('cpu', 'CPU'), ('gpu', 'GPU')),
                                      'auto', GObject.ParamFlags.READWRITE)
        # Dialog-only values (not PDB arguments): the automatic switch and the strength it greys out.
        procedure.add_boolean_aux_argument('auto-denoise', '_Automatic denoise',
                                           'Measure the layer\'s noise and JPEG compression and choose the strength',
                                           True, GObject.ParamFlags.READWRITE)
        procedure.add_double_aux_argument('denoise-strength', '_Denoise strength',
                                          'Denoise strength, 0 (keep grain) to 1 (remove noise and JPEG artifacts)',
                                          0.0, 1.0, 0.5, GObject.ParamFlags.READWRITE)
        return procedure


if __name__ == '__main__':
    Gimp.main(AiUpscale.__gtype__, sys.argv)
