using System.Globalization;

namespace AttnXai.Explain.Explainers;

internal static class ExplainerChecks
{
    public static void Finite(string method, ExplainDocument doc, double[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new InvalidOperationException($"{method} produced a non-finite score ({values[i]}) for item {i} of document '{doc.Label ?? Shorten(doc.Text)}'");
    }

    public static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    public static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
