namespace AttnXai.Plot;

/// <summary>Argument checks shared by all charts; messages name the offending argument and index.</summary>
internal static class Guard
{
    public static void Finite(double value, string paramName)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"{paramName} must be finite, got {NumberFormat.Number(value)}.", paramName);
    }

    public static void NotEmpty<T>(IReadOnlyCollection<T>? values, string paramName)
    {
        ArgumentNullException.ThrowIfNull(values, paramName);
        if (values.Count == 0) throw new ArgumentException($"{paramName} must not be empty.", paramName);
    }

    /// <summary>Throws when any value is NaN or infinite (reporting the first index) or when the list is empty.</summary>
    /// <param name="label">How the list is named in the message (e.g. "series[1].Values[3]"); defaults to <paramref name="paramName"/>.</param>
    public static void AllFinite(IReadOnlyList<double>? values, string paramName, bool allowEmpty = false, string? label = null)
    {
        label ??= paramName;
        if (values is null) throw new ArgumentNullException(paramName, $"{label} is null.");
        if (!allowEmpty && values.Count == 0) throw new ArgumentException($"{label} must not be empty.", paramName);
        for (int i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{label}[{i}] is {NumberFormat.Number(values[i])}; NaN and infinite values cannot be plotted.", paramName);
        }
    }

    public static void Positive(double value, string paramName)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be finite and positive.");
    }
}
