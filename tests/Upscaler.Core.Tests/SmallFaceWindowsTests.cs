using Upscaler.Core.Faces;

namespace Upscaler.Core.Tests;

/// <summary>Where the detector searches an image at full size: windows around the half-size level's candidates.</summary>
[TestFixture]
public class SmallFaceWindowsTests
{
    private static FaceDetection Candidate(double x0, double y0, double side) =>
        new(0.3, new FaceBox(x0, y0, x0 + side, y0 + side), Enumerable.Repeat(new Point2(x0, y0), FaceDetection.KeypointCount).ToArray());

    [Test]
    public void Each_small_candidate_gets_a_window_centred_on_it()
    {
        var plan = SmallFaceWindows.Plan([Candidate(1000, 600, 30)], 3000, 2000);
        Assert.That(plan.Width, Is.EqualTo(SmallFaceWindows.Window));
        Assert.That(plan.Height, Is.EqualTo(SmallFaceWindows.Window));
        Assert.That(plan.Origins, Is.EqualTo(new[] { (615 - SmallFaceWindows.Window / 2, 1015 - SmallFaceWindows.Window / 2) }));
    }

    [Test]
    public void Windows_stay_inside_the_image_and_a_small_image_gets_one_from_its_corner()
    {
        var plan = SmallFaceWindows.Plan([Candidate(2980, 1985, 20), Candidate(0, 0, 20)], 3000, 2000);
        Assert.That(plan.Origins, Is.EqualTo(new[] { (2000 - SmallFaceWindows.Window, 3000 - SmallFaceWindows.Window), (0, 0) }));
        Assert.That(SmallFaceWindows.Plan([Candidate(40, 30, 20)], 150, 100).Origins, Is.EqualTo(new[] { (0, 0) }),
            "an image smaller than a window: the window is padded past its edge");
    }

    [Test]
    public void A_candidate_an_earlier_window_holds_needs_none_and_wide_ones_are_left_to_coarser_levels()
    {
        var plan = SmallFaceWindows.Plan(
            [Candidate(1000, 600, 30), Candidate(1010, 610, 30), Candidate(1400, 600, SmallFaceWindows.SmallFaceWidth + 1)], 3000, 2000);
        Assert.That(plan.Origins, Has.Count.EqualTo(1));
        Assert.That(plan.Pixels, Is.EqualTo((long)SmallFaceWindows.Window * SmallFaceWindows.Window));
        // Reaching to less than the margin from the first window's right edge: a window of its own.
        int rightEdge = 1015 - SmallFaceWindows.Window / 2 + SmallFaceWindows.Window;
        double inside = rightEdge - SmallFaceWindows.Margin - 30, closer = inside + 4;
        Assert.That(SmallFaceWindows.Plan([Candidate(1000, 600, 30), Candidate(inside, 600, 30)], 3000, 2000).Origins, Has.Count.EqualTo(1));
        Assert.That(SmallFaceWindows.Plan([Candidate(1000, 600, 30), Candidate(closer, 600, 30)], 3000, 2000).Origins, Has.Count.EqualTo(2));
    }
}
