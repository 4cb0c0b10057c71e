using System.Globalization;

namespace Upscaler.ModelImport.Ncnn;

/// <summary>
/// One layer's "key=value" parameters from a .param line. Keys below -23300 are arrays written the
/// old way (-23300 - key = count,v1,v2...); "key=v1,v2" is an array too. A value with '.' or 'e' is a
/// float, otherwise an int, as ncnn decides.
/// </summary>
internal sealed class NcnnParams
{
    private readonly Dictionary<int, Value> values = new();

    private readonly record struct Value(bool IsFloat, double Scalar, double[]? Array, string? Text);

    public IEnumerable<int> Keys => values.Keys;

    public static NcnnParams Parse(IEnumerable<string> tokens, Func<string, Exception> error)
    {
        var p = new NcnnParams();
        foreach (string token in tokens)
        {
            int eq = token.IndexOf('=');
            if (eq <= 0 || !int.TryParse(token[..eq], NumberStyles.Integer, CultureInfo.InvariantCulture, out int key))
                throw error($"bad parameter '{token}'");
            string text = token[(eq + 1)..];
            if (key <= -23300)
            {
                key = -key - 23300;
                var parts = text.Split(',');
                if (!int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) || count != parts.Length - 1)
                    throw error($"bad array parameter '{token}'");
                var items = parts[1..].Select(s => ParseNumber(s, token, error)).ToArray();
                p.values[key] = new Value(items.Any(i => i.IsFloat), 0, items.Select(i => i.Value).ToArray(), null);
            }
            else if (text.Length > 0 && (char.IsLetter(text[0]) || text[0] == '"'))
            {
                p.values[key] = new Value(false, 0, null, text.Trim('"'));
            }
            else if (text.Contains(','))
            {
                var items = text.Split(',').Select(s => ParseNumber(s, token, error)).ToArray();
                p.values[key] = new Value(items.Any(i => i.IsFloat), 0, items.Select(i => i.Value).ToArray(), null);
            }
            else
            {
                var (isFloat, v) = ParseNumber(text, token, error);
                p.values[key] = new Value(isFloat, v, null, null);
            }
        }
        return p;
    }

    public bool Has(int key) => values.ContainsKey(key);

    public int Int(int key, int fallback) =>
        values.TryGetValue(key, out var v) && v.Array is null && v.Text is null ? (int)v.Scalar : fallback;

    public float Float(int key, float fallback) =>
        values.TryGetValue(key, out var v) && v.Array is null && v.Text is null ? (float)v.Scalar : fallback;

    public float[] Floats(int key) =>
        values.TryGetValue(key, out var v) && v.Array is not null ? v.Array.Select(x => (float)x).ToArray() : [];

    public int[] Ints(int key) =>
        values.TryGetValue(key, out var v) && v.Array is not null ? v.Array.Select(x => (int)x).ToArray() : [];

    public string? Text(int key) => values.TryGetValue(key, out var v) ? v.Text : null;

    private static (bool IsFloat, double Value) ParseNumber(string s, string token, Func<string, Exception> error)
    {
        bool isFloat = s.Contains('.') || s.Contains('e') || s.Contains('E');
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw error($"bad number in parameter '{token}'");
        return (isFloat, v);
    }
}
