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
/// window steps): such a change has to keep this table.
/// </summary>
internal sealed class FacesRecallCommand : IDevCommand
{
    private static readonly double[] DefaultWidths = [14, 16, 18, 20, 22, 24, 26, 28, 32, 40, 48, 64, 96];

    public string Name => "faces-recall";
    public string Usage => "[--set DIR] [--widths W,W,...]";
    public string Summary => "the face detector's recall by face width on the labelled photos of tests/FaceSet";

    public Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        string set = Path.Combine("tests", "FaceSet");
        double[] widths = DefaultWidths;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--set": set = Value(); break;
                    case "--widths": widths = Value().Split(',').Select(double.Parse).ToArray(); break;
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
            int faces = 0, found = 0, others = 0;
            foreach (var (file, boxes) in photos)
            {
                double scale = width / boxes.Average(b => b[2] - b[0]);
                if (scale > 1)
                    continue;            // never enlarged: a face bigger than the photo's own is not a real photo
                var detections = upscaler.FindFaces(Load(Path.Combine(set, file), scale), ComputeDevice.Cpu);
                var used = new bool[detections.Count];
                foreach (var b in boxes)
                {
                    faces++;
                    int match = Enumerable.Range(0, detections.Count)
                        .FirstOrDefault(i => !used[i] && Overlap(b, scale, detections[i]) >= 0.3, -1);
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

    private static PixelImage Load(string path, double scale)
    {
        using var loaded = Image.NewFromFile(path);
        using var rgb = loaded.Bands == 1 ? loaded.Bandjoin(loaded, loaded) : loaded.ExtractBand(0, 3);
        using var sized = rgb.Resize(scale, kernel: Enums.Kernel.Lanczos3);
        using var bytes = sized.Cast(Enums.BandFormat.Uchar);
        return new PixelImage(bytes.Width, bytes.Height, PixelLayout.Rgb, 8, bytes.WriteToMemory<byte>());
    }

    /// <summary>IoU of a label (full-size pixels, scaled) and a detection, by the engine's own box rule.</summary>
    private static double Overlap(double[] label, double scale, DetectedFace face) =>
        new FaceBox(label[0] * scale, label[1] * scale, label[2] * scale, label[3] * scale)
            .IntersectionOverUnion(new FaceBox(face.Left, face.Top, face.Right, face.Bottom));
}
