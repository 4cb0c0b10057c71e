using Upscaler.Core.Faces;
using Upscaler.Core.Imaging;

namespace Upscaler.Core.Tests;

/// <summary>Alignment, paste-back and the engine's face restoration with the shipped models.</summary>
[TestFixture]
public class FaceRestorationTests
{
    private static readonly Lazy<IUpscaler> Engine = new(() => Engines.Create(Engines.ShippedModels));

    private static FaceDetection Face(double lx, double ly, double rx, double ry) =>
        new(0.9, new FaceBox(lx - 20, ly - 20, rx + 20, ry + 40),
            [new(lx, ly), new(rx, ry), new((lx + rx) / 2, ly + 15), new((lx + rx) / 2, ly + 30), new(lx - 15, ly), new(rx + 15, ry)]);

    [TestCase(30.3, 40.7, 55.2, 41.9)]      // nearly level: snapped to a whole-pixel shift
    [TestCase(30.3, 40.7, 50.2, 20.1)]      // leaning 46 degrees: rotated
    [TestCase(100, 100, 340, 80)]           // a large face: the crop grows with it
    public void Alignment_puts_the_eyes_in_place_and_its_inverse_undoes_it(double lx, double ly, double rx, double ry)
    {
        var aligned = FaceAlignment.For(Face(lx, ly, rx, ry));
        var t = aligned.ToCrop;
        var back = t.Inverse();
        foreach (var p in new[] { new Point2(lx, ly), new Point2(-7.5, 3.25), new Point2(1234.5, 987.25) })
        {
            var round = back.Apply(t.Apply(p));
            Assert.That(round.X, Is.EqualTo(p.X).Within(1e-9));
            Assert.That(round.Y, Is.EqualTo(p.Y).Within(1e-9));
        }
        var left = t.Apply(new Point2(lx, ly));
        var right = t.Apply(new Point2(rx, ry));
        double eyes = Math.Sqrt((rx - lx) * (rx - lx) + (ry - ly) * (ry - ly));
        Assert.That(aligned.Side, Is.EqualTo(Math.Max(FaceAlignment.MinSide, 2 * (int)Math.Ceiling(Math.Ceiling(eyes / FaceAlignment.EyeDistance) / 2))));
        Assert.That(t.Scale, Is.EqualTo(1.0).Within(1e-12), "faces keep their own scale");
        // Eyes land on the canonical line, centred; snapped faces within half a pixel of it.
        double tolerance = t.B == 0 ? 0.5 + 1e-9 : 1e-9;
        Assert.That((left.X + right.X) / 2, Is.EqualTo(0.5 * aligned.Side).Within(tolerance));
        Assert.That((left.Y + right.Y) / 2, Is.EqualTo(FaceAlignment.EyeY * aligned.Side).Within(tolerance));
        if (t.B != 0)
            Assert.That(right.Y, Is.EqualTo(left.Y).Within(1e-9), "a leaning eye line is turned horizontal");
        else
            Assert.That(t.Tx, Is.EqualTo(Math.Round(t.Tx)), "an upright face is a whole-pixel shift");
    }

    [Test]
    public void An_upright_crop_copies_the_pixels_and_pasting_them_back_changes_nothing()
    {
        var input = TestImages.Pattern(120, 100, seed: 5);
        var planes = PixelImageReader.Colour(input);
        var aligned = FaceAlignment.For(Face(50.2, 40.6, 71.9, 41.3));
        var crop = AlignedCrop.Cut(planes, aligned);
        int tx = (int)aligned.ToCrop.Tx, ty = (int)aligned.ToCrop.Ty;
        for (int y = Math.Max(0, ty); y < Math.Min(aligned.Side, ty + 100); y++)
            for (int x = Math.Max(0, tx); x < Math.Min(aligned.Side, tx + 120); x++)
                Assert.That(crop.Data[y * aligned.Side + x], Is.EqualTo(planes.Data[(y - ty) * 120 + (x - tx)]));

        // The crop at x1 pasted over the image itself: colour matching and blending must leave it as it was.
        var output = PixelImage.Create(120, 100, PixelLayout.Rgb, 8);
        Array.Copy(input.Data, output.Data, input.Data.Length);
        FacePaste.Paste(output, crop, aligned, 1, 1, 1, 1.0);
        Assert.That(TestImages.MaxDifference(input, output), Is.EqualTo(0));
    }

    [Test]
    public void The_paste_has_no_seam_and_leaves_everything_outside_the_mask_alone()
    {
        // General result: flat mid-gray. Restored face: a steep left-to-right ramp, so the difference the
        // paste blends in is large near the mask's left and right edges, where a seam would show.
        int w = 200, h = 200, s = 2;
        var general = PixelImage.Create(w, h, PixelLayout.Rgb, 8);
        Array.Fill(general.Data, (byte)128);
        var aligned = FaceAlignment.For(Face(40, 45, 60, 46));
        int side = aligned.Side, r = side * s;
        var restored = new ImagePlanes(3, r, r);
        for (int i = 0; i < restored.Data.Length; i++)
            restored.Data[i] = 0.5f + 0.6f * ((i % r) / (float)r - 0.5f);
        var output = PixelImage.Create(w, h, PixelLayout.Rgb, 8);
        Array.Copy(general.Data, output.Data, general.Data.Length);
        FacePaste.Paste(output, restored, aligned, s, s, s, 1.0);

        double largest = 0, worstStep = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var c = aligned.ToCrop.Apply(new Point2((x + 0.5) / s, (y + 0.5) / s));
                double d = output.GetSample(x, y, 0) - 128.0;
                if (FaceMask.Weight(c.X / side, c.Y / side) == 0)
                    Assert.That(d, Is.EqualTo(0), $"pixel ({x}, {y}) lies outside the mask and was changed");
                largest = Math.Max(largest, Math.Abs(d));
                if (x > 0)
                    worstStep = Math.Max(worstStep, Math.Abs(d - (output.GetSample(x - 1, y, 0) - 128.0)));
                if (y > 0)
                    worstStep = Math.Max(worstStep, Math.Abs(d - (output.GetSample(x, y - 1, 0) - 128.0)));
            }
        }
        TestContext.Out.WriteLine($"largest difference {largest} levels, largest step between neighbours {worstStep}");
        Assert.That(largest, Is.GreaterThanOrEqualTo(25), "the restored face was pasted");
        // A hard edge would step by the whole difference; the feather spreads it over ~20 output pixels.
        Assert.That(worstStep, Is.LessThanOrEqualTo(0.12 * largest + 2), "the paste has a seam");
    }

    [Test]
    public async Task An_image_without_faces_comes_out_exactly_as_with_faces_off()
    {
        var input = TestImages.Pattern(96, 80, seed: 11);
        var on = await Engine.Value.UpscaleAsync(input, new UpscaleOptions { Scale = 4, Denoise = 0.2 });
        var off = await Engine.Value.UpscaleAsync(input, new UpscaleOptions { Scale = 4, Denoise = 0.2, Faces = FaceMode.Off });
        Assert.That(on.Data, Is.EqualTo(off.Data));
    }

    [Test]
    public async Task Faces_are_restored_inside_their_masks_only_and_strength_0_is_off()
    {
        var input = FaceSet.Load("astronaut.jpg", 2);     // 256 x 256, one face about 52 px wide
        var options = new UpscaleOptions { Scale = 2, Denoise = 0 };
        var off = await Engine.Value.UpscaleAsync(input, options with { Faces = FaceMode.Off });
        var zero = await Engine.Value.UpscaleAsync(input, options with { FaceStrength = 0 });
        var on = await Engine.Value.UpscaleAsync(input, options);
        var half = await Engine.Value.UpscaleAsync(input, options with { FaceStrength = 0.5 });
        Assert.That(zero.Data, Is.EqualTo(off.Data), "strength 0 is the same as off");

        var faces = FaceDetectionTests.Detect(input);
        Assert.That(faces, Has.Count.EqualTo(1));
        var aligned = FaceAlignment.For(faces[0]);
        int changed = 0, outside = 0;
        double halfSum = 0, fullSum = 0;
        for (int y = 0; y < on.Height; y++)
        {
            for (int x = 0; x < on.Width; x++)
            {
                var c = aligned.ToCrop.Apply(new Point2((x + 0.5) / 2, (y + 0.5) / 2));
                double m = FaceMask.Weight(c.X / aligned.Side, c.Y / aligned.Side);
                for (int ch = 0; ch < 3; ch++)
                {
                    int d = on.GetSample(x, y, ch) - off.GetSample(x, y, ch);
                    if (d != 0 && m == 0)
                        outside++;
                    if (d != 0)
                        changed++;
                    fullSum += Math.Abs(d);
                    halfSum += Math.Abs(half.GetSample(x, y, ch) - off.GetSample(x, y, ch));
                }
            }
        }
        Assert.That(outside, Is.EqualTo(0), "pixels outside the face's mask changed");
        Assert.That(changed, Is.GreaterThan(1000), "the face was restored");
        Assert.That(halfSum / fullSum, Is.InRange(0.35, 0.65), "strength 0.5 moves half the way");
    }

    [Test]
    public async Task The_pinned_tile_shapes_that_GPUs_run_restore_the_same_faces()
    {
        // GPU sessions are pinned to one tile shape (DirectML compiles per shape); a face crop smaller or
        // larger than the tile must come out as with free shapes. Checked on the CPU with the same pinning.
        var pinned = Engines.Create(Engines.ShippedModels, s => s.FixedTileShapesOnCpu = true);
        var input = FaceSet.Load("astronaut.jpg", 2);
        var options = new UpscaleOptions { Scale = 2, Denoise = 0, TileSize = 64 };
        var free = await Engine.Value.UpscaleAsync(input, options);
        var fixedShapes = await pinned.UpscaleAsync(input, options);
        var off = await Engine.Value.UpscaleAsync(input, options with { Faces = FaceMode.Off });
        Assert.That(free.Data, Is.Not.EqualTo(off.Data), "a face was restored");
        Assert.That(TestImages.MaxDifference(free, fixedShapes), Is.LessThanOrEqualTo(1.0 / 255));
    }
}
