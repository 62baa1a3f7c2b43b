using AttnXai.Sets.Benchmark;
using AttnXai.Sets.Tasks;

namespace AttnXai.Sets.Tests;

public class GeneratorTests
{
    private static readonly BagOptions Options = new();

    public static TheoryData<string> TaskNames() => new(SetTask.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void LabelsObeyTheRuleClassesAreBalancedAndKeysAreMarkedExactly(string name)
    {
        var task = SetTask.Parse(name).Single();
        var bags = BagGenerator.Generate(task, Options, 401, 17);
        Assert.Equal(401, bags.Count);
        Assert.Equal(200, bags.Count(b => b.Label == 1));
        foreach (var b in bags)
        {
            Assert.InRange(b.Count, Options.MinTokens, Options.MaxTokens);
            Assert.Equal(BagGenerator.Rule(task, b.TokenIds, Options.CountK), b.Label);
            for (int t = 0; t < b.Count; t++)
            {
                long id = b.TokenIds[t];
                Assert.InRange(id, SetVocabulary.IdA, SetVocabulary.FirstFiller + Options.Fillers - 1);
                Assert.Equal(BagGenerator.IsKey(task, id), b.Key[t]);
                sbyte expected = !b.Key[t] ? (sbyte)0 : id == SetVocabulary.IdN ? (sbyte)-1 : (sbyte)1;
                Assert.Equal(expected, b.Polarity[t]);
            }
        }
        // Labels are shuffled, not blocked.
        Assert.Contains(bags.Take(50), b => b.Label == 1);
        Assert.Contains(bags.Take(50), b => b.Label == 0);
    }

    [Fact]
    public void NegativesCoverEveryKindSoThatNoShortcutSolvesTheTask()
    {
        static int C(Bag b, long id) => b.TokenIds.Count(x => x == id);
        var both = BagGenerator.Generate(SetTask.Both, Options, 600, 5).Where(b => b.Label == 0).ToList();
        Assert.Contains(both, b => C(b, SetVocabulary.IdA) > 0 && C(b, SetVocabulary.IdB) == 0);
        Assert.Contains(both, b => C(b, SetVocabulary.IdA) == 0 && C(b, SetVocabulary.IdB) > 0);
        Assert.Contains(both, b => C(b, SetVocabulary.IdA) == 0 && C(b, SetVocabulary.IdB) == 0);
        var neg = BagGenerator.Generate(SetTask.Negative, Options, 600, 5).Where(b => b.Label == 0).ToList();
        Assert.Contains(neg, b => C(b, SetVocabulary.IdA) > 0 && C(b, SetVocabulary.IdN) > 0);
        Assert.Contains(neg, b => C(b, SetVocabulary.IdA) == 0 && C(b, SetVocabulary.IdN) > 0);
        var count = BagGenerator.Generate(SetTask.Count, Options, 600, 5);
        Assert.Contains(count, b => b.Label == 0 && C(b, SetVocabulary.IdA) == Options.CountK - 1);
        Assert.Contains(count, b => b.Label == 1 && C(b, SetVocabulary.IdA) == Options.CountK);
        // "single" and the other tasks never use the words they do not define.
        Assert.All(BagGenerator.Generate(SetTask.Single, Options, 200, 5), b => Assert.DoesNotContain(b.TokenIds, x => x is SetVocabulary.IdB or SetVocabulary.IdN));
    }

    [Fact]
    public void KindNamesTheKeyWordsPresent()
    {
        var b = new Bag([SetVocabulary.IdA, 9, SetVocabulary.IdN, SetVocabulary.IdA], 0, [true, false, true, true], [1, 0, -1, 1]);
        Assert.Equal("A+N", SetTask.Negative.Kind(b));
        Assert.Equal("2 A", SetTask.Count.Kind(b));
        Assert.Equal("none", SetTask.Both.Kind(b with { TokenIds = [9, 10] }));
    }

    [Fact]
    public void SameSeedSameBagsOtherSeedOtherBags()
    {
        var a = BagGenerator.Generate(SetTask.Negative, Options, 50, 3);
        var b = BagGenerator.Generate(SetTask.Negative, Options, 50, 3);
        var c = BagGenerator.Generate(SetTask.Negative, Options, 50, 4);
        Assert.Equal(a.Select(x => x.TokenIds), b.Select(x => x.TokenIds));
        Assert.Equal(a.Select(x => x.Key), b.Select(x => x.Key));
        Assert.Equal(a.Select(x => x.Label), b.Select(x => x.Label));
        Assert.NotEqual(a.Select(x => x.TokenIds), c.Select(x => x.TokenIds));
    }

    [Fact]
    public void BadInputNamesTheSetting()
    {
        var e = Assert.Throws<ArgumentException>(() => BagGenerator.Generate(SetTask.Single, Options with { MaxTokens = 64 }, 10, 1));
        Assert.Contains("--max-tokens (64) must be at most --length - 1 = 63", e.Message);
        e = Assert.Throws<ArgumentException>(() => BagGenerator.Generate(SetTask.Single, Options, 0, 1));
        Assert.Contains("at least 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => BagGenerator.Generate(SetTask.Single, Options with { MinTokens = 4 }, 10, 1));
        Assert.Contains("--min-tokens (4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => SetTask.Parse("single,dual"));
        Assert.Contains("unknown task 'dual'", e.Message);
        Assert.Equal(SetTask.All, SetTask.Parse("all"));

        e = Assert.Throws<ArgumentException>(() => new SetBenchmarkSettings { Methods = ["alpha-avg,attention"] }.Validate());
        Assert.Contains("--methods", e.Message);
        Assert.Contains("'attention'", e.Message);
        e = Assert.Throws<ArgumentException>(() => new SetBenchmarkSettings { Bags = 0 }.Validate());
        Assert.Contains("--bags must be at least 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => new SetBenchmarkSettings { Bags = 20, TestBags = 10 }.Validate());
        Assert.Contains("--bags (20) must be at most --test-bags (10)", e.Message);
        Assert.Equal(["alpha-avg", "GxI", "random"], new SetBenchmarkSettings { Methods = ["alpha-avg, GxI ,random"] }.MethodNames());
    }
}
