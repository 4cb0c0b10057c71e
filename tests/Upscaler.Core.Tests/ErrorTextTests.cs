namespace Upscaler.Core.Tests;

/// <summary>The one-line policy that every front end applies to error messages.</summary>
[TestFixture]
public class ErrorTextTests
{
    [TestCase("plain", "plain")]
    [TestCase("first\nsecond\r\nthird", "first; second; third")]
    [TestCase("Must be one of:\n\t'general'\n\t'face'", "Must be one of: 'general'; 'face'")]
    [TestCase("write failed\nwrite failed\nwrite failed", "write failed")]
    [TestCase("model broke\n   at Upscaler.Core.X()\n   at Y()", "model broke")]
    [TestCase("[ErrorCode:Fail] bad graph\nStacktrace:\n#0 foo", "[ErrorCode:Fail] bad graph")]
    [TestCase("", "no details given")]
    [TestCase(null, "no details given")]
    public void Folds_a_message_into_one_line(string? message, string expected) =>
        Assert.That(ErrorText.OneLine(message), Is.EqualTo(expected));

    [Test]
    public void Internal_errors_name_the_exception_type() =>
        Assert.That(ErrorText.Internal(new InvalidOperationException("a\nb")), Is.EqualTo("internal error (InvalidOperationException): a; b"));
}
