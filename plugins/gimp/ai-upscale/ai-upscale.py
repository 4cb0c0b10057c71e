#!/usr/bin/env python3
# AI Upscale for GIMP 3.0: Filters > Enhance > AI Upscale...
#
# The pixels of the selected layer go to upscaler-bridge (the Upscaler engine behind a small binary
# protocol on stdin/stdout, see docs/bridge-protocol.md); the canvas and the other layers grow with
# GIMP's own cubic interpolation. Everything the procedure changes is one undo step.

import os
import sys

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gimp, Gegl, GLib, GObject

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_protocol  # noqa: E402  (lives beside this file, importable outside GIMP for tests)

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


def run_bridge(layer, fmt, settings):
    """Sends the layer to the bridge with GIMP's progress bar following along; returns the RESULT."""
    pixels = read_pixels(layer, fmt)
    Gimp.progress_init('AI upscale x%g (%s)' % (settings['scale'], settings['model']))

    def on_progress(done, total):
        Gimp.progress_update(done / total if total else 1.0)
        # Cancelling in GIMP kills this plug-in; the bridge then sees its input end and stops the
        # inference itself, so there is nothing to poll here.
        return True

    try:
        with bridge_protocol.BridgeProcess(find_bridge()) as bridge:
            return bridge.upscale(layer.get_width(), layer.get_height(), fmt.channels, fmt.bits, pixels,
                                  settings['scale'], settings['model'], settings['denoise'], settings['device'],
                                  on_progress=on_progress, faces='auto' if settings['faces'] else 'off',
                                  face_strength=settings['face-strength'])
    finally:
        Gimp.progress_end()


def upscale(image, layer, settings):
    fmt = LayerFormat(image, layer)
    result = run_bridge(layer, fmt, settings)
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


def settings_from(config):
    return {name: config.get_property(name) for name in ('scale', 'model', 'denoise', 'faces', 'face-strength', 'device')}


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


def run(procedure, run_mode, image, drawables, config, data):
    if run_mode == Gimp.RunMode.INTERACTIVE:
        gi.require_version('GimpUi', '3.0')
        from gi.repository import GimpUi
        GimpUi.init(PROCEDURE)
        # GIMP fills config with the last values used and saves them again after a successful run.
        dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config, title='AI Upscale')
        dialog.fill(None)
        accepted = dialog.run()
        dialog.destroy()
        if not accepted:
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())

    try:
        upscale(image, the_layer(image, drawables), settings_from(config))
    except (UpscaleError, bridge_protocol.BridgeError, bridge_protocol.BridgeMissingError, ValueError) as e:
        return failure(procedure, str(e))
    except bridge_protocol.ProtocolError as e:
        return failure(procedure, 'the upscaler bridge failed: %s' % e)
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
            '(model and denoise as chosen); the other layers are scaled with cubic interpolation. '
            'Alpha and 8/16-bit precision are kept. One undo step.',
            name)
        procedure.set_attribution('Upscaler', 'Upscaler', '2026')
        procedure.add_double_argument('scale', 'Scale _factor', 'Scale factor, 1 to 8', 1.0, 8.0, 2.0,
                                      GObject.ParamFlags.READWRITE)
        procedure.add_choice_argument('model', '_Model', 'Model: general, face or text',
                                      choice(('general', 'General (photos)'), ('face', 'Faces'), ('text', 'Text and line art')),
                                      'general', GObject.ParamFlags.READWRITE)
        procedure.add_double_argument('denoise', '_Denoise', 'Denoise strength, 0 (keep grain) to 1 (remove noise)',
                                      0.0, 1.0, 0.5, GObject.ParamFlags.READWRITE)
        procedure.add_boolean_argument('faces', 'Restore _faces', 'Find faces and restore each with the face model '
                                       '(general model only, when a face model is installed for the scale)',
                                       True, GObject.ParamFlags.READWRITE)
        procedure.add_double_argument('face-strength', 'Face stren_gth', 'How much of each restored face replaces '
                                      'the general result, 0 to 1', 0.0, 1.0, 1.0, GObject.ParamFlags.READWRITE)
        procedure.add_choice_argument('device', 'De_vice', 'Where to run: auto, cpu or gpu',
                                      choice(('auto', 'Automatic (GPU if available)'), ('cpu', 'CPU'), ('gpu', 'GPU')),
                                      'auto', GObject.ParamFlags.READWRITE)
        return procedure


if __name__ == '__main__':
    Gimp.main(AiUpscale.__gtype__, sys.argv)
