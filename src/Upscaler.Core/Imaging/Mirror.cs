namespace Upscaler.Core.Imaging;

/// <summary>Reflective border indexing (…2 1 | 0 1 2 … n-1 | n-2 …), repeating for any distance.</summary>
internal static class Mirror
{
    public static int Index(int i, int length)
    {
        if (length == 1)
            return 0;
        int period = 2 * (length - 1);
        i %= period;
        if (i < 0)
            i += period;
        return i < length ? i : period - i;
    }
}
