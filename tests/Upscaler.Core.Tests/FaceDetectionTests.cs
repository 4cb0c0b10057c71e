using Upscaler.Core.Catalog;
using Upscaler.Core.Faces;
using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tests;

/// <summary>The real BlazeFace detector (models/faces) on real photographs with hand-labelled faces.</summary>
[TestFixture]
public class FaceDetectionTests
{
    private static readonly Lazy<SessionCache> Sessions = new(() => new SessionCache(new UpscalerSettings { ModelsDirectory = Engines.ShippedModels }));

    internal static FaceDetector Detector()
    {
        var model = FaceDetectorManifest.Read(Engines.ShippedModels) ?? throw new InvalidOperationException("no face detector in models/faces");
        return new FaceDetector(Sessions.Value.GetDetectors(model, ComputeDevice.Cpu));
    }

    internal static IReadOnlyList<FaceDetection> Detect(PixelImage image) =>
        Detector().Detect(PixelImageReader.Colour(image), CancellationToken.None);

    /// <summary>Recall and precision the README of tests/FaceSet reports; the floors are below the measured values.</summary>
    public const double RecallFloor = 0.95, PrecisionFloor = 0.9;
    private static readonly int[] Shrinks = [1, 2, 4, 6, 8];

    [Test]
    public void Finds_the_labelled_faces_from_24_px_upwards_on_real_photographs()
    {
        int labelled = 0, found = 0, detections = 0, wrong = 0;
        var table = new System.Text.StringBuilder("shrink  labelled  found  false\n");
        foreach (int shrink in Shrinks)
        {
            int l = 0, f = 0, w = 0;
            foreach (var entry in FaceSet.Labels())
            {
                var image = FaceSet.Load(entry.File, shrink);
                var boxes = entry.Faces.Select(b => new FaceBox(b[0] / shrink, b[1] / shrink, b[2] / shrink, b[3] / shrink)).ToList();
                var faces = Detect(image);
                var score = FaceMatching.Match(boxes, faces, MinFaceWidth);
                l += score.Labelled;
                f += score.Found;
                w += score.False;
                detections += score.Detections;
            }
            table.Append($"{shrink,6}  {l,8}  {f,5}  {w,5}\n");
            labelled += l;
            found += f;
            wrong += w;
        }
        double recall = found / (double)labelled, precision = (detections - wrong) / (double)detections;
        TestContext.Out.WriteLine(table.Append($"recall {recall:0.000}, precision {precision:0.000} ({detections} detections)"));
        Assert.That(recall, Is.GreaterThanOrEqualTo(RecallFloor), table.ToString());
        Assert.That(precision, Is.GreaterThanOrEqualTo(PrecisionFloor), table.ToString());
    }

    [Test]
    public void Windows_side_by_side_find_what_one_session_finds()
    {
        var model = FaceDetectorManifest.Read(Engines.ShippedModels)!;
        var sessions = Sessions.Value.GetDetectors(model, ComputeDevice.Cpu);
        Assert.That(sessions, Has.Count.EqualTo(Environment.ProcessorCount), "one single-threaded session per CPU thread");
        // Two workers at least, so the parallel path runs even on a one-core machine.
        var several = sessions.Count > 1 ? sessions : [sessions[0], sessions[0]];
        var entry = FaceSet.Labels().OrderByDescending(e => e.Faces.Length).First();
        var colour = PixelImageReader.Colour(FaceSet.Load(entry.File));
        var one = new FaceDetector([sessions[0]]).Detect(colour, CancellationToken.None);
        var side = new FaceDetector(several).Detect(colour, CancellationToken.None);
        static string Text(IEnumerable<FaceDetection> faces) =>
            string.Join("\n", faces.Select(f => $"{f.Score:R} {f.Box} {string.Join(" ", f.Keypoints)}"));
        Assert.That(one, Is.Not.Empty);
        Assert.That(Text(side), Is.EqualTo(Text(one)), "the same detections in the same order");
    }

    [Test]
    public void A_cancelled_search_stops_with_a_cancellation_from_any_window()
    {
        var model = FaceDetectorManifest.Read(Engines.ShippedModels)!;
        var sessions = Sessions.Value.GetDetectors(model, ComputeDevice.Cpu);
        var colour = PixelImageReader.Colour(FaceSet.Load(FaceSet.Labels()[0].File));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => new FaceDetector([sessions[0], sessions[0]]).Detect(colour, cancel.Token));
    }

    /// <summary>Faces narrower than this are not counted either way: the detector is built for 24 px upwards.</summary>
    public const int MinFaceWidth = 24;

    /// <summary>
    /// The training recipe finds and aligns faces with its own copy of these rules (models/training/face_align.py,
    /// PyTorch instead of ONNX Runtime); its output for two photos is kept in tests/FaceSet/python-detections.json.
    /// </summary>
    [TestCase("astronaut.jpg")]
    [TestCase("camera.png")]
    public void The_training_recipe_finds_and_aligns_the_same_faces(string file)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(FaceSet.Folder, "python-detections.json")));
        var expected = json.RootElement.GetProperty(file).EnumerateArray().ToList();
        var faces = Detect(FaceSet.Load(file));
        Assert.That(faces, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < faces.Count; i++)
        {
            var python = expected[i];
            Assert.That(faces[i].Score, Is.EqualTo(python.GetProperty("score").GetDouble()).Within(0.05));
            var eyes = python.GetProperty("eyes");
            foreach (var (eye, k) in new[] { (faces[i].LeftEye, 0), (faces[i].RightEye, 1) })
            {
                Assert.That(eye.X, Is.EqualTo(eyes[k][0].GetDouble()).Within(2.0), "eye x");
                Assert.That(eye.Y, Is.EqualTo(eyes[k][1].GetDouble()).Within(2.0), "eye y");
            }
            var crop = python.GetProperty("crop");
            var aligned = FaceAlignment.For(faces[i]);
            Assert.That(aligned.Side, Is.EqualTo(crop.GetProperty("side").GetDouble()).Within(2));
            Assert.That(aligned.ToCrop.B == 0, Is.EqualTo(crop.GetProperty("b").GetDouble() == 0), "both snap, or both rotate");
        }
    }

    [Test, Explicit("prints the detections, for labelling")]
    public void Print_detections()
    {
        foreach (var file in new[] { "astronaut.jpg", "camera.png" }.Concat(Enumerable.Range(1, 6).Select(i => $"images/sample{i}.jpg")))
        {
            FaceSet.EnsureFetched();
            var image = FaceSet.Load(file);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var faces = Detect(image);
            TestContext.Out.WriteLine($"{file} {image.Width}x{image.Height} {watch.ElapsedMilliseconds} ms: " +
                string.Join(" ", faces.Select(f => $"[{f.Score:0.00} {f.Box.X0:0},{f.Box.Y0:0},{f.Box.X1:0},{f.Box.Y1:0}]")));
        }
    }
}

/// <summary>Labelled boxes against detections: a label is found by a detection overlapping it by IoU ≥ 0.3.</summary>
internal static class FaceMatching
{
    public readonly record struct Score(int Labelled, int Found, int Detections, int False);

    public static Score Match(IReadOnlyList<FaceBox> labels, IReadOnlyList<FaceDetection> faces, int minWidth)
    {
        var used = new bool[faces.Count];
        int labelled = 0, found = 0;
        foreach (var label in labels.OrderByDescending(b => b.Area))
        {
            int best = -1;
            double bestIou = 0.3;
            for (int i = 0; i < faces.Count; i++)
            {
                double iou = label.IntersectionOverUnion(faces[i].Box);
                if (!used[i] && iou >= bestIou)
                    (best, bestIou) = (i, iou);
            }
            if (best >= 0)
                used[best] = true;
            if (label.Width >= minWidth)
            {
                labelled++;
                if (best >= 0)
                    found++;
            }
        }
        // A detection of a face too small to count is neither right nor wrong.
        int detections = faces.Where((f, i) => used[i] ? labels.Any(l => l.Width >= minWidth && l.IntersectionOverUnion(f.Box) >= 0.3) : true).Count();
        int wrong = used.Count(u => !u);
        return new Score(labelled, found, detections, wrong);
    }
}
