namespace AttnXai.Explain.Perturbation;

/// <summary>Calls an <see cref="IPerturbationModel"/> in batches and checks what it returns.</summary>
public static class ModelCalls
{
    /// <summary>d of the model, checked to be at least 1 (ArgumentException naming the problem otherwise).</summary>
    public static int FeatureCountOf(IPerturbationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int d = model.FeatureCount;
        if (d < 1)
            throw new ArgumentException($"The model has no features to explain (FeatureCount = {d}); the document needs at least one word.", nameof(model));
        return d;
    }

    /// <summary>
    /// Evaluates <paramref name="count"/> rows (row-major, d flags each), in one call when <paramref name="batchSize"/>
    /// is null or at least count, else in calls of at most batchSize rows. Throws InvalidOperationException when the
    /// model returns the wrong number of values or a value that is NaN or infinite (naming the row).
    /// </summary>
    public static double[] Evaluate(IPerturbationModel model, ReadOnlySpan<bool> rows, int count, int? batchSize = null)
    {
        int d = FeatureCountOf(model);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The row count must be non-negative.");
        if ((long)count * d != rows.Length)
            throw new ArgumentException($"The masks hold {rows.Length} flags, expected {count} rows x {d} features.", nameof(rows));
        if (batchSize is <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        if (count == 0) return [];
        if (batchSize is not int batch || batch >= count) return EvaluateChecked(model, rows, count, 0, count);
        var outputs = new double[count];
        for (int start = 0; start < count; start += batch)
        {
            int m = Math.Min(batch, count - start);
            var part = EvaluateChecked(model, rows.Slice(start * d, m * d), m, start, count);
            part.CopyTo(outputs, start);
        }
        return outputs;
    }

    /// <summary>Throws InvalidOperationException naming the first value that is NaN or infinite (rows firstRow...).</summary>
    internal static void CheckFinite(ReadOnlySpan<double> values, long firstRow, long totalRows)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new InvalidOperationException(
                    $"The model returned {(double.IsNaN(values[i]) ? "NaN" : values[i].ToString(System.Globalization.CultureInfo.InvariantCulture))} for row {firstRow + i} (of {totalRows}); outputs must be finite.");
    }

    internal static double[] EvaluateChecked(IPerturbationModel model, ReadOnlySpan<bool> rows, int count, long firstRow, long totalRows)
    {
        var values = model.Evaluate(rows, count)
            ?? throw new InvalidOperationException($"The model returned null instead of {count} values.");
        if (values.Length != count)
            throw new InvalidOperationException(
                $"The model returned {values.Length} values for {count} rows (rows {firstRow}..{firstRow + count - 1} of {totalRows}); it must return one value per row.");
        CheckFinite(values, firstRow, totalRows);
        return values;
    }
}
