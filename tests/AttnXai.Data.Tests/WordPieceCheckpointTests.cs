using AttnXai.Data.Text.WordPiece;

namespace AttnXai.Data.Tests;

/// <summary>BertWordPieceTokenizer.FromCheckpoint: vocab.txt plus tokenizer_config.json, and the errors on bad input.</summary>
public class WordPieceCheckpointTests : IDisposable
{
    private const string Vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nCafé\ncafe\n<s>\n</s>\n<pad>\n<unk>\n<mask>\n";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WithoutConfigTheUncasedDefaultsApply()
    {
        _dir.Write("vocab.txt", Vocab);
        var tok = BertWordPieceTokenizer.FromCheckpoint(_dir.Path);
        Assert.Equal(BertWordPieceOptions.Uncased, tok.Options);
        Assert.Equal(["cafe"], tok.Tokenize("Café").Tokens);
        Assert.Null(tok.Options.ModelMaxLength);
    }

    [Fact]
    public void ReadsTheConfigFields()
    {
        _dir.Write("vocab.txt", Vocab);
        _dir.Write("tokenizer_config.json", """
            {
              "do_lower_case": false, "strip_accents": null, "tokenize_chinese_chars": false, "model_max_length": 512,
              "cls_token": "<s>", "sep_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false},
              "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": {"content": "<mask>"},
              "tokenizer_class": "BertTokenizer", "clean_up_tokenization_spaces": true
            }
            """);
        var tok = BertWordPieceTokenizer.FromCheckpoint(_dir.Path);
        Assert.False(tok.Options.LowerCase);
        Assert.False(tok.Options.StripsAccents);
        Assert.False(tok.Options.TokenizeChineseChars);
        Assert.Equal(512, tok.Options.ModelMaxLength);
        Assert.Equal(new Data.Text.SpecialTokens(Cls: 7, Unk: 10, Pad: 9, Sep: 8, Mask: 11), tok.Special);
        Assert.Equal(["Café", "<unk>"], tok.Tokenize("Café CAFE").Tokens);
        Assert.Equal([7L, 5, 8], tok.EncodeWithSpecials("Café"));
    }

    [Fact]
    public void TheNoLimitSentinelReadsAsNoModelMaxLength()
    {
        _dir.Write("vocab.txt", Vocab);
        _dir.Write("tokenizer_config.json", """{"model_max_length": 1000000000000000019884624838656}""");
        Assert.Null(BertWordPieceTokenizer.FromCheckpoint(_dir.Path).Options.ModelMaxLength);
    }

    [Fact]
    public void AMissingOrEmptyVocabularyNamesTheFile()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.Path));
        Assert.Contains(Path.Combine(_dir.Path, "vocab.txt"), missing.Message);
        var empty = _dir.Write("vocab.txt", "\n\n");
        var e = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.Path));
        Assert.StartsWith(empty + ":", e.Message);
        Assert.Contains("empty", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.File("nowhere")));
    }

    [Fact]
    public void AMissingSpecialTokenNamesTheVocabularyFile()
    {
        var path = _dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nword\n");
        var e = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.Path));
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("[MASK]", e.Message);
    }

    [Fact]
    public void InvalidUtf8InTheVocabularyNamesTheFile()
    {
        var path = _dir.Write("vocab.txt", [.. "[PAD]\n[UNK]\n"u8.ToArray(), 0xFF, 0xFE, (byte)'\n']);
        var e = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromVocabulary(path));
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void AConfigThatIsNotJsonNamesTheFileAndLine()
    {
        _dir.Write("vocab.txt", Vocab);
        var config = _dir.Write("tokenizer_config.json", "{\n  \"do_lower_case\": true,\n  oops\n}");
        var e = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.Path));
        Assert.StartsWith(config + ": line 3:", e.Message);
        _dir.Write("tokenizer_config.json", "[1, 2]");
        Assert.Contains("expected a JSON object", Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.Path)).Message);
    }

    [Theory]
    [InlineData("""{"do_lower_case": "yes"}""", "do_lower_case")]
    [InlineData("""{"strip_accents": 1}""", "strip_accents")]
    [InlineData("""{"tokenize_chinese_chars": []}""", "tokenize_chinese_chars")]
    [InlineData("""{"cls_token": 5}""", "cls_token")]
    [InlineData("""{"mask_token": {"lstrip": true}}""", "mask_token")]
    [InlineData("""{"unk_token": ""}""", "unk_token")]
    [InlineData("""{"model_max_length": "512"}""", "model_max_length")]
    [InlineData("""{"model_max_length": 0}""", "model_max_length")]
    [InlineData("""{"model_max_length": 12.5}""", "model_max_length")]
    public void AConfigFieldOfTheWrongTypeNamesTheFileAndField(string json, string field)
    {
        _dir.Write("vocab.txt", Vocab);
        var config = _dir.Write("tokenizer_config.json", json);
        var e = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromCheckpoint(_dir.Path));
        Assert.StartsWith($"{config}: field '{field}':", e.Message);
    }

    [Fact]
    public void ARepeatedVocabularyLineKeepsItsLastId()
    {
        // As Hugging Face's load_vocab (a dict filled line by line); Microsoft.ML.Tokenizers alone would throw.
        var path = _dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nword\n\nword\n");
        var tok = BertWordPieceTokenizer.FromVocabulary(path);
        Assert.Equal(8, tok.VocabularySize);
        Assert.Equal([7L], tok.Tokenize("word").Ids);
    }
}
