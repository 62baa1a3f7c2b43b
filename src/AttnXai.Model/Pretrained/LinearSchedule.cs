using System.Globalization;
using AttnXai.Common;
using System.Text.Json.Nodes;

namespace AttnXai.Model.Pretrained;

/// <summary>
/// The standard fine-tuning schedule of the learning rate: linear warm-up from 0 to <see cref="Peak"/> over
/// <see cref="WarmupSteps"/> optimizer steps, then linear decay to 0 at <see cref="TotalSteps"/>. Step k (from 0)
/// uses lr_k = Peak * k / W for k &lt; W and Peak * (T - k) / (T - W) after (0 from T on): Hugging Face's
/// <c>get_linear_schedule_with_warmup</c>, so the first step of a warm-up has lr 0. A function of the step alone:
/// a resumed run continues it exactly.
/// </summary>
public sealed record LinearSchedule(double Peak, long WarmupSteps, long TotalSteps)
{
    /// <summary>A schedule whose warm-up is <paramref name="warmupFraction"/> of <paramref name="totalSteps"/> (rounded up).</summary>
    public static LinearSchedule WithWarmupFraction(double peak, double warmupFraction, long totalSteps)
    {
        if (!(warmupFraction >= 0 && warmupFraction < 1)) throw new UserError(string.Create(CultureInfo.InvariantCulture, $"--warmup must lie in [0, 1) (a fraction of the steps), got {warmupFraction}"));
        return new LinearSchedule(peak, (long)Math.Ceiling(warmupFraction * totalSteps - 1e-9), totalSteps).Validate();
    }

    /// <summary>The factor of step k (from 0): k / W during warm-up, then (T - k) / (T - W), never below 0.</summary>
    public double Factor(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "a step index from 0");
        if (step < WarmupSteps) return (double)step / WarmupSteps;
        return Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
    }

    /// <summary>The learning rate of step k (from 0).</summary>
    public double At(long step) => Peak * Factor(step);

    /// <summary>Throws a <see cref="UserError"/> when the schedule does not fit its steps.</summary>
    public LinearSchedule Validate()
    {
        var inv = CultureInfo.InvariantCulture;
        if (!(Peak > 0) || !double.IsFinite(Peak)) throw new UserError(string.Create(inv, $"--lr must be a positive number, got {Peak}"));
        if (TotalSteps < 1) throw new UserError($"the schedule has {TotalSteps} optimizer steps: there is nothing to train");
        if (WarmupSteps < 0 || WarmupSteps >= TotalSteps)
            throw new UserError(string.Create(inv, $"the warm-up of {WarmupSteps} steps does not fit the {TotalSteps} optimizer steps of the run (it must leave at least one step of decay): lower --warmup or train longer"));
        return this;
    }

    public JsonObject ToJson() => new() { ["kind"] = "linear", ["peak_lr"] = Peak, ["warmup_steps"] = WarmupSteps, ["total_steps"] = TotalSteps };
}
