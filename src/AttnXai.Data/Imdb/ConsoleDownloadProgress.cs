using System.Diagnostics;

namespace AttnXai.Data.Imdb;

/// <summary>
/// A download progress bar on standard error: redrawn in place on a terminal (at most every 0.25 s), one line per
/// 10 % when the output is redirected (logs, CI).
/// </summary>
public sealed class ConsoleDownloadProgress(string what) : IProgress<DownloadProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lastDraw = double.NegativeInfinity;
    private int _lastDecile = -1;

    public void Report(DownloadProgress p)
    {
        double mb = p.BytesDone / 1048576.0;
        string total = p.TotalBytes is { } t ? $" / {t / 1048576.0:F1} MiB" : " MiB";
        string percent = p.Fraction is { } f ? $" ({100 * f:F0} %)" : "";
        if (!Console.IsErrorRedirected)
        {
            bool done = p.Fraction is >= 1;
            if (!done && _clock.Elapsed.TotalSeconds - _lastDraw < 0.25) return;
            _lastDraw = _clock.Elapsed.TotalSeconds;
            int width = 30, filled = p.Fraction is { } g ? (int)Math.Round(width * Math.Clamp(g, 0, 1)) : 0;
            Console.Error.Write($"\r{what} [{new string('#', filled)}{new string('.', width - filled)}] {mb:F1}{total}{percent}   ");
            if (done) Console.Error.WriteLine();
            return;
        }
        int decile = p.Fraction is { } h ? (int)(10 * Math.Clamp(h, 0, 1)) : (int)(mb / 10);
        if (decile == _lastDecile) return;
        _lastDecile = decile;
        Console.Error.WriteLine($"{what}: {mb:F1}{total}{percent}");
    }
}
