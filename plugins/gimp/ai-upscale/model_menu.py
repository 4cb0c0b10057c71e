"""What the dialog offers as models and says about denoise, from the bridge's MODELS answer.

Pure Python, so it is tested outside GIMP. A model is chosen by kind (general, face, text, sharp, anime:
the engine picks the kind's models that fit the factor) or by id (that model alone, as many passes as
the factor needs); the PDB argument "model" takes either, so scripts keep working.
"""

KINDS = ("general", "face", "text", "sharp", "anime")
KIND_LABELS = {
    "general": "General photos, faithful",
    "face": "Faces",
    "text": "Text, screenshots and line art",
    "sharp": "Sharp and detailed (GAN-style, invents texture)",
    "anime": "Anime and art",
}
LONGEST_DESCRIPTION = 90
AUTO_NOTE = "Automatic: chosen from the image's noise and JPEG compression"
FIXED_NOTE = "0 keeps grain and texture, 1 removes noise and JPEG artifacts"


def is_kind(value):
    return value.strip().lower() in KINDS


def canonical(value):
    """Kinds in lower case (any case is accepted, as on the command line); ids as given."""
    value = value.strip()
    return value.lower() if is_kind(value) else value


def entries(models, current=None):
    """(value, label) rows: each installed kind first, then every installed model by id with its
    description; a current value that is not installed is kept, marked, so the dialog shows what will run."""
    rows = []
    for kind in KINDS:
        scales = sorted({m["scale"] for m in models if m["kind"] == kind})
        if scales:
            rows.append((kind, "%s (%s)" % (KIND_LABELS[kind], ", ".join("x%d" % s for s in scales))))
    for model in models:
        description = (model.get("description") or model["kind"]).strip()
        if len(description) > LONGEST_DESCRIPTION:
            description = description[:LONGEST_DESCRIPTION - 1].rstrip() + "…"
        rows.append((model["id"], "%s: %s" % (model["id"], description)))
    if current and not any(value.lower() == current.strip().lower() for value, _ in rows):
        rows.append((canonical(current), "%s (not installed)" % current.strip()))
    return rows


def takes_denoise(models, value):
    """False only when every installed model the value selects has no denoise control (the engine's rule,
    AutoDenoise.TakesDenoise); a value that selects nothing is left to the bridge to report."""
    value = value.strip().lower()
    chosen = [m for m in models if m["kind"] == value] if value in KINDS else [m for m in models if m["id"].lower() == value]
    return not chosen or any(m.get("denoise", True) for m in chosen)


def no_control_reason(value):
    """The one-line reason the dialog shows, in the command line's words."""
    return "the %s model has no denoise control" % canonical(value) if is_kind(value) else "%s has no denoise control" % value.strip()


def denoise_note(models, value, auto):
    """(denoise controls usable, the line shown under them)."""
    if not takes_denoise(models, value):
        return False, no_control_reason(value)
    return True, AUTO_NOTE if auto else FIXED_NOTE
