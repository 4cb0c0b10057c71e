using System.Text.Json;
using NetVips;
using Upscaler.Core;
using Upscaler.Core.Faces;

namespace Upscaler.DevTools.Commands;

/// <summary>
/// The face detector's recall by face width: every labelled photo of tests/FaceSet is resized (libvips,
/// Lanczos 3) so that its faces' mean width is each width asked for, and a labelled face counts as found
/// when a detection overlaps it by IoU ≥ 0.3 (the rule of FaceDetectionTests). It shows the smallest
/// faces the detector finds, which bounds any cheaper search (a smaller first pyramid level, larger
/// window steps): such a change has to keep this table. Small photos are one detector window, so with
/// <c>--canvas FILE</c> the resized photos are instead laid out over a 3000x2000 crop of that (face-free)
/// picture (several: a comma-separated list, each laid out differently), one per cell of a 4x2 grid at
/// scattered offsets: then the faces meet window borders and the
/// full-size level is many windows, as in a real photo.
/// </summary>
internal sealed class FacesRecallCommand : IDevCommand
{
    private static readonly double[] DefaultWidths = [14, 16, 18, 20, 22, 24, 26, 28, 32, 40, 48, 64, 96];

    public string Name => "faces-recall";
    public string Usage => "[--set DIR] [--widths W,W,...] [--canvas FILE,...]";
    public string Summary => "the face detector's recall by face width on the labelled photos of tests/FaceSet";

    public Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        string set = Path.Combine("tests", "FaceSet");
        double[] widths = DefaultWidths;
        string[] canvases = [];
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--set": set = Value(); break;
                    case "--widths": widths = Value().Split(',').Select(double.Parse).ToArray(); break;
                    case "--canvas": canvases = Value().Split(','); break;
                    default: throw new FormatException($"unknown argument '{args[i]}'");
                }
            }
            if (widths.Any(w => w is < 4 or > 512))
                throw new FormatException("widths must be 4 to 512 px");
        }
        catch (FormatException e)
        {
            error.WriteLine($"upscaler-dev faces-recall: {e.Message}");
            error.WriteLine($"usage: upscaler-dev {Name} {Usage}");
            return Task.FromResult(2);
        }
        string labels = Path.Combine(set, "labels.json");
        if (!File.Exists(labels) || !File.Exists(Path.Combine(set, "images", "sample6.jpg")))
        {
            error.WriteLine($"upscaler-dev faces-recall: {set} has no labels.json or no images/ (run tests/FaceSet/fetch.sh once)");
            return Task.FromResult(1);
        }
        if (canvases.FirstOrDefault(c => !File.Exists(c)) is { } missing)
        {
            error.WriteLine($"upscaler-dev faces-recall: no such file: {missing}");
            return Task.FromResult(1);
        }

        var upscaler = Engine.Create();
        var photos = JsonDocument.Parse(File.ReadAllText(labels)).RootElement.GetProperty("images").EnumerateArray()
            .Select(p => (File: p.GetProperty("file").GetString()!, Faces: p.GetProperty("faces").EnumerateArray()
                .Select(f => f.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray()))
            .ToList();
        output.WriteLine($"# face detector recall by face width: {photos.Count} photos of {set}, {photos.Sum(p => p.Faces.Length)} labelled faces");
        output.WriteLine();
        output.WriteLine("| mean face width (px) | faces | found | recall | other detections |");
        output.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (double width in widths)
        {
            List<Scene> scenes;
            try
            {
                scenes = canvases.Length == 0
                    ? photos.Select(p => Scene.Single(set, p.File, p.Faces, width)).OfType<Scene>().ToList()
                    : canvases.Select((c, i) => Scene.OnCanvas(set, photos, width, c, i)).ToList();
            }
            catch (Exception e) when (e is InvalidOperationException or VipsException)
            {
                error.WriteLine($"upscaler-dev faces-recall: {e.Message.Split('\n')[0]}");
                return Task.FromResult(1);
            }
            int faces = 0, found = 0, others = 0;
            foreach (var scene in scenes)
            {
                var detections = upscaler.FindFaces(scene.Pixels, ComputeDevice.Cpu);
                var used = new bool[detections.Count];
                foreach (var label in scene.Faces)
                {
                    faces++;
                    int match = Enumerable.Range(0, detections.Count)
                        .FirstOrDefault(i => !used[i] && label.IntersectionOverUnion(Box(detections[i])) >= 0.3, -1);
                    if (match < 0)
                        continue;
                    used[match] = true;
                    found++;
                }
                others += used.Count(u => !u);
            }
            output.WriteLine($"| {width:0} | {faces} | {found} | {(faces == 0 ? "-" : $"{found / (double)faces:0.00}")} | {others} |");
        }
        return Task.FromResult(0);
    }

    private static FaceBox Box(DetectedFace face) => new(face.Left, face.Top, face.Right, face.Bottom);

    /// <summary>One image the detector searches and the labelled faces in it, in its pixels.</summary>
    private sealed record Scene(PixelImage Pixels, IReadOnlyList<FaceBox> Faces)
    {
        private const int CanvasWidth = 3000, CanvasHeight = 2000, Columns = 4, Rows = 2;

        /// <summary>The photo resized so that its faces are <paramref name="width"/> px wide on average; null where that would enlarge it.</summary>
        public static Scene? Single(string set, string file, double[][] labels, double width)
        {
            double scale = width / labels.Average(b => b[2] - b[0]);
            if (scale > 1)
                return null;            // never enlarged: a face bigger than the photo's own is not a real photo
            using var photo = Resized(set, file, scale);
            return new Scene(ToPixels(photo), labels.Select(b => Scaled(b, scale, 0, 0)).ToList());
        }

        /// <summary>Every photo resized, laid out over a crop of <paramref name="background"/>, one per grid cell.</summary>
        public static Scene OnCanvas(string set, IReadOnlyList<(string File, double[][] Faces)> photos, double width, string background, int layout)
        {
            if (photos.Count > Columns * Rows)
                throw new InvalidOperationException($"the canvas has {Columns * Rows} cells for {photos.Count} photos");
            int cellW = CanvasWidth / Columns, cellH = CanvasHeight / Rows;
            var image = Image.Thumbnail(background, CanvasWidth, height: CanvasHeight, crop: Enums.Interesting.Centre);
            using (var flat = image) image = flat.Bands >= 3 ? flat.ExtractBand(0, 3) : flat.Bandjoin(flat, flat);
            var faces = new List<FaceBox>();
            for (int i = 0; i < photos.Count; i++)
            {
                var (file, labels) = photos[i];
                double scale = Math.Min(1, width / labels.Average(b => b[2] - b[0]));
                using var photo = Resized(set, file, scale);
                if (photo.Width > cellW || photo.Height > cellH)
                    throw new InvalidOperationException($"{file} at {width} px faces is {photo.Width}x{photo.Height}, larger than a {cellW}x{cellH} cell");
                // Offsets spread over each cell, so faces fall at many positions relative to the windows.
                int x = i % Columns * cellW + (cellW - photo.Width) * ((i + layout * 3) * 37 % 11) / 10;
                int y = i / Columns * cellH + (cellH - photo.Height) * ((i + layout * 5) * 53 % 7) / 6;
                using (var before = image) image = before.Insert(photo, x, y);
                faces.AddRange(labels.Select(b => Scaled(b, scale, x, y)));
            }
            using (image)
                return new Scene(ToPixels(image), faces);
        }

        private static Image Resized(string set, string file, double scale)
        {
            using var loaded = Image.NewFromFile(Path.Combine(set, file));
            using var rgb = loaded.Bands == 1 ? loaded.Bandjoin(loaded, loaded) : loaded.ExtractBand(0, 3);
            using var sized = rgb.Resize(scale, kernel: Enums.Kernel.Lanczos3);
            return sized.Cast(Enums.BandFormat.Uchar);
        }

        private static PixelImage ToPixels(Image image)
        {
            using var bytes = image.Cast(Enums.BandFormat.Uchar);
            return new PixelImage(bytes.Width, bytes.Height, PixelLayout.Rgb, 8, bytes.WriteToMemory<byte>());
        }

        private static FaceBox Scaled(double[] b, double scale, double x, double y) =>
            new(b[0] * scale + x, b[1] * scale + y, b[2] * scale + x, b[3] * scale + y);
    }
}
