using AttnXai.Data.Text;

namespace AttnXai.Data.Tests;

/// <summary>Expected outputs below were worked out by hand from the basic_english rules, not by running the code.</summary>
public class TokenizerTests
{
    private static string[] Basic(string s) => BasicEnglishTokenizer.Instance.Tokenize(s);
    private static string[] Clean(string s) => CleanedTokenizer.Instance.Tokenize(s);

    [Fact]
    public void LowerCasesAndSplitsOnSpaces() =>
        Assert.Equal(["hello", "world"], Basic("Hello WORLD"));

    [Fact]
    public void ApostropheBecomesItsOwnToken() =>
        Assert.Equal(["don", "'", "t", "stop", "'"], Basic("Don't stop'"));

    [Fact]
    public void DoubleQuoteIsRemovedAndJoinsItsNeighbours()
    {
        Assert.Equal(["he", "said", "wow", "loudly"], Basic("He said \"wow\" loudly"));
        Assert.Equal(["ab"], Basic("a\"b"));
        Assert.Empty(Basic("\"\"\""));
    }

    [Fact]
    public void FullStopIsItsOwnToken()
    {
        Assert.Equal(["end", ".", "next"], Basic("End. Next"));
        Assert.Equal(["1", ".", "5"], Basic("1.5"));
        Assert.Equal([".", ".", "."], Basic("..."));
    }

    [Fact]
    public void LineBreakTagIsASeparatorMatchedAfterLowerCasing()
    {
        Assert.Equal(["good", "bad"], Basic("good<br />bad"));
        Assert.Equal(["good", "bad"], Basic("Good<BR />bad"));
        Assert.Equal(["a", "b"], Basic("a<br /><br />b"));
        // Only the exact "<br />" form is a line break.
        Assert.Equal(["a<br/>b"], Basic("a<br/>b"));
        Assert.Equal(["a<br", "/>b"], Basic("a<br  />b"));
    }

    [Fact]
    public void LineBreakRuleSeesQuoteRemovalButNotTheLaterRules()
    {
        // '"' is removed before the <br /> rule runs: <b"r /> becomes <br /> and is a line break.
        Assert.Equal(["x", "y"], Basic("x<b\"r />y"));
        // ';' becomes a space only after the <br /> rule: "<br;/>" is not a line break.
        Assert.Equal(["a<br", "/>b"], Basic("a<br;/>b"));
    }

    [Fact]
    public void PunctuationTokens() =>
        Assert.Equal(["a", ",", "b", "(", "c", ")", "d", "!", "e", "?", "f"], Basic("a,b(c)d!e?f"));

    [Fact]
    public void SemicolonAndColonAreSeparators()
    {
        Assert.Equal(["a", "b", "c"], Basic("a;b:c"));
        Assert.Empty(Basic(";:;"));
    }

    [Fact]
    public void RunsOfWhitespaceIncludingPythonOnlySpaces()
    {
        Assert.Equal(["a", "b"], Basic("  a \t\n\r\v\f b  "));
        Assert.Equal(["a", "b"], Basic("a\u00a0b"));     // no-break space
        Assert.Equal(["a", "b"], Basic("a\u001cb"));     // file separator: Python's isspace() says yes
        Assert.Equal(["a", "b"], Basic("a\u3000b"));     // ideographic space
        Assert.Equal(["a\u200bb"], Basic("a\u200bb"));   // zero-width space is not whitespace for Python
    }

    [Fact]
    public void NonAsciiLettersFollowPythonLower()
    {
        Assert.Equal(["école", "über", "straße"], Basic("ÉCOLE Über STRAßE"));
        Assert.Equal(["k"], Basic("\u212a"));                     // Kelvin sign lower-cases to ASCII k
        Assert.Equal(["i\u0307stanbul"], Basic("\u0130STANBUL"));   // capital I with dot: two chars in Python
        Assert.Equal(["\U00010428"], Basic("\U00010400"));        // Deseret, outside the BMP
    }

    [Fact]
    public void CapitalSigmaBecomesFinalAtTheEndOfAWord()
    {
        Assert.Equal(["οδος"], Basic("ΟΔΟΣ"));        // ends in U+03C2
        Assert.Equal("\u03bf\u03b4\u03bf\u03c2", Basic("ΟΔΟΣ")[0]);
        Assert.Equal(["σα"], Basic("ΣΑ"));             // word-initial: U+03C3
        Assert.Equal(["σ"], Basic("Σ"));               // no cased letter before it: U+03C3
        Assert.Equal(["οδος", "."], Basic("ΟΔΟΣ."));  // '.' is case-ignorable, then the end: final
        Assert.Equal("\u03bf\u03b4\u03bf\u03c2", Basic("ΟΔΟΣ.")[0]);
    }

    [Fact]
    public void EmptyAndBlankTexts()
    {
        Assert.Empty(Basic(""));
        Assert.Empty(Basic("   \n "));
        Assert.Empty(Basic("<br /><br />"));
        Assert.Empty(Clean(""));
        Assert.Empty(Clean("!!! ... ???"));
    }

    [Fact]
    public void ReviewLikeSentence() =>
        Assert.Equal(
            ["this", "movie", "'", "s", "plot", "(", "if", "any", ")", "was", ".", ".", ".", "bad", "!", "rating", "2/10", "."],
            Basic("This movie's \"plot\" (if any) was... bad!<br /><br />Rating: 2/10."));

    [Fact]
    public void CleanedTokensAreRunsOfAsciiLettersAndDigits()
    {
        Assert.Equal(["don", "t", "stop", "caf", "2", "10"], Clean("Don't stop!! Café 2/10"));
        // The cleaning does not know about <br />: "br" stays a word (as in the paper's pipeline).
        Assert.Equal(["a", "br", "b", "c"], Clean("a<br />b_c"));
        Assert.Equal(["stanbul"], Clean("\u0130STANBUL"));  // cleaning comes before lower-casing
        Assert.Equal("don t stop", CleanedTokenizer.CleanText("  Don't   STOP "));
    }

    [Fact]
    public void TokenLimitStopsAndReportsTruncation()
    {
        var buffer = new TokenBuffer();
        BasicEnglishTokenizer.Instance.Tokenize("a b. c", buffer, maxTokens: 2);
        Assert.Equal(["a", "b"], buffer.ToArray());
        Assert.True(buffer.Truncated);
        BasicEnglishTokenizer.Instance.Tokenize("a b. c", buffer, maxTokens: 4);
        Assert.Equal(["a", "b", ".", "c"], buffer.ToArray());
        Assert.False(buffer.Truncated);
        CleanedTokenizer.Instance.Tokenize("x y z", buffer, maxTokens: 3);
        Assert.False(buffer.Truncated);
    }

    [Fact]
    public void RegistryByName()
    {
        Assert.Same(BasicEnglishTokenizer.Instance, Tokenizers.Get("basic_english"));
        Assert.Same(CleanedTokenizer.Instance, Tokenizers.Get("clean"));
        Assert.Equal("basic_english", Tokenizers.Get(Tokenizers.BasicEnglish).Name);
        var e = Assert.Throws<ArgumentException>(() => Tokenizers.Get("bert"));
        Assert.Contains("basic_english", e.Message);
        Assert.Contains("clean", e.Message);
    }
}
