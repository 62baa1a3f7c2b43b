using System.Text.Json.Nodes;
using AttnXai.Data.Text;
using AttnXai.Model;
using AttnXai.Shortcuts.Insertion;
using AttnXai.Shortcuts.Probe;
using AttnXai.Shortcuts.Study;
using AttnXai.Shortcuts.Training;
using AttnXai.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace AttnXai.Shortcuts.Tests;

/// <summary>Bad input gives an exception whose message names what is wrong and where.</summary>
public class BadInputTests
{
    private static T Throws<T>(Action a, string fragment) where T : Exception
    {
        var e = Assert.Throws<T>(a);
        Assert.Contains(fragment, e.Message);
        return e;
    }

    [Fact]
    public void Insertion_specs()
    {
        var data = Tiny.Data(8, [[5, 6]]);
        Throws<ArgumentException>(() => TokenInsertion.Insert(data, Tiny.Start(0), 20), "(--tokens) must be at least 1, got 0");
        Throws<ArgumentException>(() => TokenInsertion.Insert(data, Tiny.Start(8), 20), "do not fit a document of length 8");
        Throws<ArgumentException>(() => InsertionSpec.Parse(4, "middle"), "--position must be start, end or a number");
        Throws<ArgumentException>(() => InsertionSpec.Parse(4, "-3"), "got '-3'");
        Throws<ArgumentException>(() => TokenInsertion.Insert(data, Tiny.Start(2), -1), "non-negative");
    }

    [Fact]
    public void Inserted_tokens_must_be_new_to_the_vocabulary()
    {
        var v = Vocabulary.FromTokens(["[cls]", "UNK", "movie", "[s1]"]);
        Throws<ArgumentException>(() => TokenInsertion.ExtendVocabulary(v, Tiny.Start(2)), "already holds the token '[s1]' (id 3)");
    }

    [Fact]
    public void A_model_without_the_inserted_ids_is_refused()
    {
        var inserted = TokenInsertion.Insert(Tiny.Data(8, [[5, 6]]), Tiny.Start(2), 10);
        using var model = new AttentionClassifier(new ModelConfig(11, 4, 2, 2, 1, Length: 8), 1, null, ScalarType.Float64);
        Throws<ArgumentException>(() => ProbePass.Run(model, inserted), "ids up to 11 but the model's vocabulary has 11 entries");
        using var longer = new AttentionClassifier(new ModelConfig(12, 4, 2, 2, 1, Length: 9), 1, null, ScalarType.Float64);
        Throws<ArgumentException>(() => ProbePass.Run(longer, inserted), "encoded to 8 positions but the model takes 9");
    }

    [Fact]
    public void Study_settings()
    {
        var ok = new ShortcutSettings { OutDir = "x" };
        Throws<ArgumentException>(() => (ok with { Docs = -1 }).Validate(), "--docs must be 0 or more, got -1");
        Throws<ArgumentException>(() => (ok with { Methods = ["alpha-avg", "nonsense"] }).Validate(), "unknown explainer 'nonsense'");
        Throws<ArgumentException>(() => (ok with { Methods = [] }).Validate(), "--methods: no method given");
        Throws<ArgumentException>(() => (ok with { OutDir = " " }).Validate(), "--out");
        Throws<ArgumentException>(() => (ok with { Insertion = Tiny.Start(300) }).Validate(), "at most 255");
        Throws<ArgumentException>(() => (ok with { Recipe = TrainingRecipe.Paper with { Training = new TrainingOptions { Epochs = 0 } } }).Validate(), "epochs must be at least 1");
        ok.Validate();
    }

    [Fact]
    public void Model_folders_of_other_settings_are_refused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "attnxai-shortcuts-" + Guid.NewGuid().ToString("N"));
        try
        {
            var config = new ModelConfig(10, 4, 2, 2, 1, Length: 8);
            var data = Tiny.Data(8, [[5, 6]]);
            var recipe = new JsonObject { ["role"] = "shortcut", ["seed"] = 1 };
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, ShortcutTraining.MarkerFile), new JsonObject { ["role"] = "shortcut", ["seed"] = 2 }.ToJsonString());
            var e = Throws<ArgumentException>(() => ShortcutTraining.TrainOrLoad(dir, recipe, config, new TrainingOptions(), data, data, Tiny.Vocabulary(10), "basic_english"),
                "trained with other settings (seed: 2 there, 1 now)");
            Assert.Contains(dir, e.Message);

            File.Delete(Path.Combine(dir, ShortcutTraining.MarkerFile));
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "something else");
            Throws<IOException>(() => ShortcutTraining.TrainOrLoad(dir, recipe, config, new TrainingOptions(), data, data, Tiny.Vocabulary(10), "basic_english"),
                "is not a model folder of this probe");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Explainer_documents_need_the_extended_vocabulary()
    {
        var config = new ModelConfig(10, 4, 2, 2, 1, Length: 8);
        Throws<ArgumentException>(() => ExplainerProbe.Documents(["w2 w3"], Tokenizers.Get(Tokenizers.BasicEnglish), Tiny.Vocabulary(10), Tiny.Start(2), config),
            "no entry for the inserted token '[s0]'");
    }
}
