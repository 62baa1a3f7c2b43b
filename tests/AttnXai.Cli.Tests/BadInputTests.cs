using System.Text.RegularExpressions;

namespace AttnXai.Cli.Tests;

/// <summary>
/// The error contract, on a table of bad inputs across every command: exit code 1, exactly one line starting with
/// "error:" that names the option, file or value, no stack trace, .NET type name, parameter suffix, record dump or
/// help text, and nothing written (the --out of the case does not exist afterwards).
/// </summary>
public sealed partial class BadInputTests(CliFixture fx) : IClassFixture<CliFixture>
{
    /// <summary>
    /// (case, arguments, what the error line must contain). Placeholders: {data} the labelled CSV, {model} the trained
    /// model, {nan} the model with a NaN weight, {altered} the model with a bit of its weights flipped, {incomplete} a model folder without config.json, {imdb} a tiny
    /// aclImdb folder, {file} an existing file, {root} the fixture's folder, {out} a fresh path that must not be
    /// created, {missing} a file that does not exist.
    /// </summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        // train: options, data, labels, output
        { "train-lr-not-a-number", "train --out {out} --lr abc", "--lr: 'abc' is not a number" },
        { "train-no-out", "train --data {data}", "'--out' is required" },
        { "train-unknown-option", "train --out {out} --bogus", "'--bogus'" },
        { "train-length-1", "train --out {out} --length 1", "--length must be at least 2 ([CLS] and one word), got 1" },
        { "train-epochs-0", "train --out {out} --epochs 0", "--epochs must be at least 1, got 0" },
        { "train-batch-negative", "train --out {out} --batch-size -1", "--batch-size must be at least 1, got -1" },
        { "train-lr-negative", "train --out {out} --lr -1", "--lr must be a positive number, got -1" },
        { "train-lr-nan", "train --out {out} --lr NaN", "--lr must be a positive number, got NaN" },
        { "train-weight-decay-negative", "train --out {out} --weight-decay -0.1", "--weight-decay must be at least 0, got -0.1" },
        { "train-heads-0", "train --out {out} --heads 0", "--heads must be at least 1, got 0" },
        { "train-seed-fraction", "train --out {out} --seed 1.5", "--seed: '1.5' is not a whole number" },
        { "train-split-seed-negative", "train --out {out} --split-seed -1", "--split-seed: '-1' is not a whole number of 0 or more" },
        { "train-tokenizer", "train --out {out} --tokenizer words", "--tokenizer must be basic_english or clean, got 'words'" },
        { "train-threads-0", "train --out {out} --threads 0", "--threads must be at least 1, got 0" },
        { "train-out-is-a-file", "train --out {file} --data {data} --labels neg,pos", "--out {file} is a file, not a folder" },
        { "train-out-under-a-file", "train --out {file}/sub --data {data} --labels neg,pos", "is a file, so no folder can be made under it" },
        { "train-out-unwritable", "train --out /proc/attnxai-test/out --data {data} --labels neg,pos", "--out /proc/attnxai-test/out: cannot write in /proc" },
        { "train-out-holds-a-model", "train --out {nan} --data {data} --labels neg,pos", "--out {nan} already holds a trained model (config.json) without a resumable state" },
        { "train-out-holds-another-run", "train --out {model} --data {data} --labels neg,pos", "{model}/last holds a run of another model (d_e (--embed-dim) 8 there, 128 now; " },
        { "train-data-missing", "train --out {out} --data {missing} --labels neg,pos", "{missing}: no such file" },
        { "train-data-empty-folder", "train --out {out} --data {root}/empty-folder", "holds no IMDB data" },
        { "train-labels-not-given", "train --out {out} --data {data}", "{data}: the labels are 'neg', 'pos': give them in class order (e.g. --labels neg,pos)" },
        { "train-labels-one", "train --out {out} --data {data} --labels pos", "--labels: 'pos' names one label" },
        { "train-labels-duplicate", "train --out {out} --data {data} --labels pos,neg,pos", "--labels: 'pos,neg,pos' names 'pos' twice" },
        { "train-label-outside-labels", "train --out {out} --data {data} --labels neg,neutral", "{data}: line 3: label 'pos' is not one of --labels ('neg', 'neutral')" },
        { "train-single-label-file", "train --out {out} --data {root}/one-label.csv", "every label is 'pos'" },
        { "train-text-column", "train --out {out} --data {data} --labels neg,pos --text-column review", "{data}: line 1: missing column 'review'" },
        { "train-format", "train --out {out} --data {data} --labels neg,pos --format xml", "--format must be csv, tsv or jsonl, got 'xml'" },
        { "train-quoted-tsv", "train --out {out} --data {root}/bad-quote.tsv --labels neg,pos", "bad-quote.tsv: line 2: unexpected character ' ' after a closing quote" },
        { "train-not-utf8", "train --out {out} --data {root}/latin1.csv --labels neg,pos", "latin1.csv: not valid UTF-8" },
        { "train-validation-count", "train --out {out} --data {data} --labels neg,pos --validation-count 100000", "--validation-count 100000 does not fit the 180 training texts" },
        { "train-test-count-0", "train --out {out} --data {data} --labels neg,pos --test-count 0", "--test-count must be at least 1, got 0" },
        { "train-test-count-on-imdb", "train --out {out} --data {imdb} --test-count 1", "--test-count applies to a single file" },
        { "train-device", "train --out {out} --device gpu7", "unknown device 'gpu7'" },
        { "train-diverges", "train --out {out} --data {data} --labels neg,pos --embed-dim 8 --att-dim 4 --out-dim 4 --heads 2 --length 24 --epochs 2 --lr 10000 --plain",
            "training diverged at epoch 1" },
        { "train-embed-dim-huge", "train --out {out} --embed-dim 2000000000", "--embed-dim must be at most 65536, got 2000000000" },
        { "train-epochs-huge", "train --out {out} --epochs 2000000000", "--epochs must be at most 100000, got 2000000000" },
        { "train-transformer-memory", "train --out {out} --arch transformer --length 60000", "lower --length (60000)" },
        { "train-memory-with-the-vocabulary", "train --out {out} --data {data} --labels neg,pos --embed-dim 65536 --batch-size 1000000",
            "needs about " },

        // eval
        { "eval-model-missing", "eval --model {root}/nothing", "model folder not found: {root}/nothing" },
        { "eval-model-incomplete", "eval --model {incomplete}", "{incomplete}: no config.json" },
        { "eval-model-nan", "eval --model {nan}", "{nan}/model.safetensors: tensor 'W_v' holds NaN or infinite values" },
        { "eval-model-altered", "eval --model {altered}", "{altered}/model.safetensors: the file's SHA-256 (" },
        { "predict-model-altered", "predict --model {altered} --text good", "is not the one config.json records" },
        { "eval-split", "eval --model {model} --split dev", "--split must be test, val or train, got 'dev'" },
        { "eval-labels-of-the-model", "eval --model {model} --file {root}/all-positive.csv", "all-positive.csv: line 2: label 'positive' is not one of the model's labels ('neg', 'pos'); give the data's labels" },
        { "eval-labels-count", "eval --model {model} --labels a,b,c", "--labels names 3 labels but the model has 2 classes" },
        { "eval-file-and-data", "eval --model {model} --file {data} --data {data}", "give --file (a whole file) or --data/--split" },
        { "eval-max-0", "eval --model {model} --max 0", "--max must be at least 1, got 0" },
        { "eval-batch-0", "eval --model {model} --batch-size 0", "--batch-size must be at least 1, got 0" },
        { "eval-out-is-a-folder", "eval --model {model} --out {root}", "--out {root} is a folder, not a file" },
        { "eval-file-missing", "eval --model {model} --file {missing}", "{missing}: no such file" },
        { "eval-data-unknown-format", "eval --model {model} --data {root}/unknown.dat", "unknown.dat: cannot tell the format from the extension '.dat'" },
        { "eval-data-not-an-archive", "eval --model {model} --data {root}/fake.tar.gz", "fake.tar.gz: not a gzip-compressed tar archive" },
        { "eval-config-json-line", "eval --model {root}/model-bad-json", "{root}/model-bad-json/config.json: not valid JSON (line 3, byte 3: 'o' is an invalid start of a property name" },
        { "eval-imdb-incomplete", "eval --model {model} --data {root}/aclImdb-incomplete", "test/neg holds no review while test/pos holds 1: an incomplete copy of IMDB" },
        { "eval-batch-huge", "eval --model {model} --batch-size 99999999", "--batch-size must be at most 1000000, got 99999999" },
        { "eval-out-device", "eval --model {model} --file {data} --out /dev/full", "--out /dev/full is under /dev, where files are devices" },
        { "predict-out-device", "predict --model {model} --file {data} --out /dev/null", "--out /dev/null is under /dev, where files are devices" },
        { "eval-out-proc", "eval --model {model} --file {data} --out /proc/attnxai-test.json", "--out /proc/attnxai-test.json: cannot write in /proc (the file system there does not accept new files)" },
        { "eval-imdb-labels", "eval --model {model} --data {imdb} --labels negative,positive", "IMDB's label 'neg' is not one of --labels ('negative', 'positive')" },

        // predict
        { "predict-empty-text", "predict --model {model} --text ' '", "--text is empty" },
        { "predict-all-unknown", "predict --model {model} --text 'zzz qqq'", "none of the 2 words of the text is in the model's vocabulary" },
        { "predict-nan-model", "predict --model {nan} --text good", "holds NaN or infinite values" },
        { "predict-nothing", "predict --model {model}", "give --text or --file" },
        { "predict-both", "predict --model {model} --text good --file {data}", "give --text or --file" },
        { "predict-file-missing", "predict --model {model} --file {missing}", "{missing}: no such file" },
        { "predict-out-folder", "predict --model {model} --file {data} --out {root}", "--out {root} is a folder, not a file" },
        { "predict-out-with-text", "predict --model {model} --text good --out {out}", "--out goes with --file" },
        { "predict-text-column", "predict --model {model} --file {data} --text-column nope", "missing column 'nope'" },
        { "predict-jsonl-line", "predict --model {model} --file {root}/bad.jsonl", "bad.jsonl: line 2: not valid JSON (byte 10: 'o' is an invalid start of a value" },
        { "predict-text-cls", "predict --model {model} --text '[cls]'", "none of the 1 words of the text is in the model's vocabulary" },
        { "predict-out-proc", "predict --model {model} --file {data} --out /proc/attnxai-test.csv", "--out /proc/attnxai-test.csv: cannot write in /proc (the file system there does not accept new files)" },
        { "predict-threads-text", "predict --model {model} --text good --threads many", "--threads: 'many' is not a whole number" },

        // pretrained (Hugging Face) folders, import and train --init
        { "pretrained-no-weights", "predict --model {root}/hf-no-weights --text good", "{root}/hf-no-weights: no weights file (model.safetensors" },
        { "pretrained-unknown-type", "eval --model {root}/hf-unknown-type", "{root}/hf-unknown-type/config.json: model_type 'gpt2' is not supported (supported: bert, distilbert)" },
        { "pretrained-vocab-too-big", "explain --model {root}/hf-vocab-too-big --text good --out {out}", "{root}/hf-vocab-too-big/vocab.txt: the vocabulary has 20 tokens but the model's embedding has 10 rows" },
        { "pretrained-no-vocab", "predict --model {root}/hf-no-vocab --text good", "{root}/hf-no-vocab/vocab.txt: no such vocabulary file" },
        { "import-not-onnx", "import --onnx {file} --vocab {file} --out {out}", "{file}" },
        { "import-onnx-without-vocab", "import --onnx {file} --out {out}", "--onnx and --vocab go together" },
        { "import-onnx-missing", "import --onnx {missing} --vocab {file} --out {out}", "--onnx: file not found: {missing}" },
        { "train-init-not-a-checkpoint", "train --init {root}/empty-folder --out {out}", "--init {root}/empty-folder: not a pretrained checkpoint folder" },
        { "train-init-missing", "train --init {root}/nothing --out {out}", "--init: folder not found: {root}/nothing" },
        { "train-init-with-paper-options", "train --init {root}/hf-no-weights --out {out} --embed-dim 8", "--embed-dim does not apply to --init" },
        { "train-head-without-init", "train --out {out} --head mean", "--head goes with --init" },
        { "train-freeze-beyond-layers", "train --init {root}/hf-tiny --freeze layers:3 --data {data} --labels neg,pos --out {out}", "--freeze layers:3: the model has 1 layers" },
        { "train-freeze-unknown", "train --init {root}/hf-tiny --freeze layers:x --data {data} --labels neg,pos --out {out}", "--freeze 'layers:x': use encoder, none or layers:K" },
        { "train-warmup-does-not-fit", "train --init {root}/hf-tiny --freeze none --warmup 0.9 --epochs 1 --batch-size 10000 --data {data} --labels neg,pos --out {out}", "the warm-up of 1 steps does not fit the 1 optimizer steps" },
        { "train-accumulate-with-frozen-encoder", "train --init {root}/hf-tiny --accumulate 2 --data {data} --labels neg,pos --out {out}", "--accumulate goes with fine-tuning (--freeze none or layers:K)" },
        { "train-init-max-length", "train --init {root}/hf-no-weights --out {out} --max-length 2", "--max-length must be" },
        { "explain-target-unknown", "explain --model {model} --text good --out {out} --target neutral", "--target 'neutral' is neither predicted, a label of the model (neg (class 0), pos (class 1))" },
        { "faithfulness-target-unknown", "faithfulness --model {model} --data {data} --out {out} --target neutral", "--target 'neutral' is neither a label of {model} (neg (class 0), pos (class 1)) nor a class index 0 to 1 (the faithfulness test explains one class for every document)" },
        { "explain-replace-with-word-model", "explain --model {model} --text good --out {out} --replace-with mask", "--replace-with goes with a pretrained model" },

        // explain
        { "explain-all-unknown", "explain --model {model} --out {out} --text 'zzz qqq'", "none of the 2 words of the text is in the model's vocabulary" },
        { "explain-lime-samples-overflow", "explain --model {model} --out {out} --text good --lime-samples 2000000000", "--lime-samples must be between 2 and 1000000" },
        { "explain-count-beyond-split", "explain --model {model} --out {out} --split test --count 100000", "--count 100000 is more than the 20 documents of the test part" },
        { "explain-count-0", "explain --model {model} --out {out} --split test --count 0", "--count must be at least 1, got 0" },
        { "explain-methods", "explain --model {model} --out {out} --text good --methods bogus", "--methods: unknown explainer 'bogus'" },
        { "explain-kernel-width", "explain --model {model} --out {out} --text good --lime-kernel-width -1", "--lime-kernel-width must be a positive number, got -1" },
        { "explain-masks-missing", "explain --model {model} --out {out} --text good --lime-masks {missing}", "--lime-masks {missing}: no such file" },
        { "explain-masks-width", "explain --model {model} --out {out} --text 'good bad film' --lime-masks {root}/masks-wrong.txt", "its rows have 4 flags but the document has 3 distinct words" },
        { "explain-masks-not-binary", "explain --model {model} --out {out} --text 'good bad' --lime-masks {root}/masks-bad.txt", "line 2: 'x' is not 0 or 1" },
        { "explain-masks-many-documents", "explain --model {model} --out {out} --split test --lime-masks {root}/masks-wrong.txt", "--lime-masks explains one document" },
        { "explain-removal", "explain --model {model} --out {out} --text good --removal sideways", "--removal must be delete, unk or both, got 'sideways'" },
        { "explain-no-source", "explain --model {model} --out {out}", "give exactly one of --text, --file or --split" },
        { "explain-count-without-split", "explain --model {model} --out {out} --text good --count 3", "--count goes with --split" },
        { "explain-out-file", "explain --model {model} --out {file} --text good", "--out {file} is a file, not a folder" },
        { "explain-nan-model", "explain --model {nan} --out {out} --text good", "holds NaN or infinite values" },
        { "explain-limit-1", "explain --model {model} --out {out} --text good --limit-samples 1", "--limit-samples must be 0 (skip the limit) or at least 2" },
        { "explain-ig-steps", "explain --model {model} --out {out} --text good --ig-steps 0", "--ig-steps must be at least 1, got 0" },
        { "explain-ig-steps-huge", "explain --model {model} --out {out} --text good --ig-steps 2000000000", "--ig-steps must be at most 10000, got 2000000000" },
        { "explain-lime-runs-huge", "explain --model {model} --out {out} --text good --lime-runs 2000000000", "--lime-runs must be at most 1000, got 2000000000" },
        { "explain-text-cls", "explain --model {model} --out {out} --text '[cls]'", "none of the 1 words of the text is in the model's vocabulary" },
        { "explain-out-proc", "explain --model {model} --out /proc/attnxai-test --text good", "--out /proc/attnxai-test: cannot write in /proc (the file system there does not accept new files)" },
        { "explain-aggregation", "explain --model {model} --out {out} --text good --aggregation median", "--aggregation must be last, sum, mean, max, first or auto, got 'median'" },

        // faithfulness
        { "faithfulness-lime-samples-overflow", "faithfulness --model {model} --out {out} --lime-samples 2000000000", "--lime-samples must be between 2 and 1000000" },
        { "faithfulness-docs-0", "faithfulness --model {model} --out {out} --docs 0", "--docs must be at least 1, got 0" },
        { "faithfulness-methods", "faithfulness --model {model} --out {out} --methods bogus", "--methods: unknown explainer 'bogus'; known: alpha-avg" },
        { "faithfulness-split", "faithfulness --model {model} --out {out} --split dev", "--split must be test, val or train, got 'dev'" },
        { "faithfulness-out-file", "faithfulness --model {model} --out {file}", "--out {file} is a file, not a folder" },
        { "faithfulness-model-missing", "faithfulness --model {root}/nothing --out {out}", "model folder not found" },
        { "faithfulness-nan-model", "faithfulness --model {nan} --out {out} --quick", "holds NaN or infinite values" },
        { "faithfulness-removals", "faithfulness --model {model} --out {out} --removals sideways", "--removals: unknown removal 'sideways'" },
        { "faithfulness-erasure-removal", "faithfulness --model {model} --out {out} --erasure-removal zero", "--erasure-removal must be delete or unk, got 'zero'" },
        { "faithfulness-docs-beyond-the-part", "faithfulness --model {model} --out {out} --docs 100000", "--docs 100000 is more than the 20 documents of the test part of" },
        { "faithfulness-lime-runs-huge", "faithfulness --model {model} --out {out} --lime-runs 5000", "--lime-runs must be at most 1000, got 5000" },

        // depth
        { "depth-docs-0", "depth --out {out} --docs 0", "--docs must be at least 1, got 0" },
        { "depth-target-unknown", "depth --out {out} --quick --data {data} --target neutral", "--target 'neutral' is neither a label of the IMDB model paper the study trains (neg (class 0), pos (class 1)) nor a class index 0 to 1" },
        { "depth-target-empty", "depth --out {out} --quick --data {data} --target ' '", "--target is empty" },
        { "depth-layers", "depth --out {out} --layers 1,x", "--layers: 'x' is not a number of layers (a whole number of at least 1)" },
        { "depth-layers-twice", "depth --out {out} --layers 2,2", "--layers: '2,2' names 2 twice" },
        { "depth-no-model", "depth --out {out} --no-paper --layers ''", "--no-paper and an empty --layers leave no model to study" },
        { "depth-model-not-a-pair", "depth --out {out} --model paper", "--model: 'paper' is not NAME=DIR" },
        { "depth-model-name", "depth --out {out} --model bert={model}", "--model: unknown model name 'bert': use paper, transformer-N (N layers, at least 1), or NAME=DIR with DIR a pretrained (Hugging Face) classifier folder" },
        { "depth-model-twice", "depth --out {out} --model paper={model} --model paper={model}", "--model: paper is given twice" },
        { "depth-model-not-studied", "depth --out {out} --layers 1 --model transformer-4={model}", "--model transformer-4={model}: transformer-4 is not one of the study's models (paper, transformer-1)" },
        { "depth-model-kind", "depth --out {out} --data {imdb} --model transformer-2={model}", "transformer-2={model}: the folder holds d_e 8" },
        { "depth-model-missing", "depth --out {out} --data {imdb} --model paper={root}/nothing", "paper={root}/nothing: no such model folder" },
        { "depth-model-incomplete", "depth --out {out} --data {imdb} --model paper={incomplete}", "paper={incomplete}: no config.json" },
        { "depth-methods", "depth --out {out} --methods bogus,random", "--methods: unknown explainer 'bogus'" },
        { "depth-methods-no-random", "depth --out {out} --methods alpha-avg", "--methods must include random" },
        { "depth-lime-samples", "depth --out {out} --lime-samples 1", "--lime-samples must be between 2 and 1000000" },
        { "depth-ig-steps-0", "depth --out {out} --ig-steps 0", "--ig-steps must be at least 1, got 0" },
        { "depth-top-fraction", "depth --out {out} --top-fraction 0", "--top-fraction must lie in (0, 1], got 0" },
        { "depth-erasure-removal", "depth --out {out} --erasure-removal zero", "--erasure-removal must be delete or unk, got 'zero'" },
        { "depth-chunk-0", "depth --out {out} --chunk 0", "--chunk must be at least 1, got 0" },
        { "depth-docs-huge", "depth --out {out} --docs 99999999", "--docs must be at most 10000000, got 99999999" },
        { "depth-ig-steps-huge", "depth --out {out} --ig-steps 2000000000", "--ig-steps must be at most 10000, got 2000000000" },
        { "depth-device", "depth --out {out} --device gpu7", "unknown device 'gpu7'" },
        { "depth-out-file", "depth --out {file}", "--out {file} is a file, not a folder" },
        { "depth-data-missing", "depth --out {out} --data {root}/nothing", "{root}/nothing" },
        { "depth-shard-trains", "depth --out {out} --layers 1 --model paper={model} --shard 1/2", "--shard 1/2: a sharded depth study measures trained models only; give transformer-1 with --model NAME=DIR" },
        { "depth-shard-chunks", "depth --out {out} --layers '' --model paper={model} --docs 20 --shard 3/3", "--shard 3/3: 3 shards for the 20 documents of --docs, which make 2 chunks of 10" },
        { "depth-shard-form", "depth --out {out} --shard 0/3", "--shard: 0/3: shards are numbered from 1" },

        // sets
        { "sets-lime-samples-overflow", "sets --out {out} --lime-samples 2000000000", "--lime-samples must be between 2 and 1000000" },
        { "sets-seeds-0", "sets --out {out} --seeds 0", "--seeds must be at least 1, got 0" },
        { "sets-tasks", "sets --out {out} --tasks bogus", "--tasks: unknown task 'bogus'" },
        { "sets-threads-0", "sets --out {out} --threads 0", "--threads must be at least 1, got 0" },
        { "sets-out-file", "sets --out {file} --quick", "--out {file} is a file, not a folder" },
        { "sets-bags", "sets --out {out} --bags 500 --test-bags 100", "--bags (500) must be at most --test-bags (100)" },
        { "sets-train-bags-huge", "sets --out {out} --train-bags 2000000000", "--train-bags must be at most 1000000, got 2000000000" },
        { "sets-shap-samples-huge", "sets --out {out} --shap-samples 2000000000", "--shap-samples must be at most 1000000, got 2000000000" },
        { "sets-ig-steps-huge", "sets --out {out} --ig-steps 2000000000", "--ig-steps must be at most 10000, got 2000000000" },
        { "sets-memory", "sets --out {out} --length 60000 --train-bags 900000", "needs about 455.2 GiB of memory, more than this machine's" },

        // shortcuts
        { "shortcuts-lime-samples-overflow", "shortcuts --out {out} --lime-samples 2000000000", "--lime-samples must be between 2 and 1000000" },
        { "shortcuts-tokens-0", "shortcuts --out {out} --tokens 0", "--tokens must be at least 1, got 0" },
        { "shortcuts-docs-negative", "shortcuts --out {out} --docs -1", "--docs must be at least 0, got -1" },
        { "shortcuts-methods", "shortcuts --out {out} --methods bogus", "--methods: unknown explainer 'bogus'" },
        { "shortcuts-position", "shortcuts --out {out} --position sideways", "--position must be start, end or a number of words" },
        { "shortcuts-out-file", "shortcuts --out {file}", "--out {file} is a file, not a folder" },
        { "shortcuts-position-beyond", "shortcuts --out {out} --position 99999", "--position 99999: a document of length 256 holds at most 251 words before the 4 inserted tokens" },
        { "shortcuts-embed-dim-memory", "shortcuts --out {out} --embed-dim 60000", "lower --embed-dim (60000)" },
        { "shortcuts-tokens-huge", "shortcuts --out {out} --tokens 99999999", "--tokens must be at most 65536, got 99999999" },

        // reproduce
        { "reproduce-docs-0", "reproduce --out {out} --docs 0", "--docs must be at least 1, got 0" },
        { "reproduce-docs-negative", "reproduce --out {out} --docs -4", "--docs must be at least 1, got -4" },
        { "reproduce-limit-every-0", "reproduce --out {out} --limit-every 0", "--limit-every must be at least 1, got 0" },
        { "reproduce-limit-samples-negative", "reproduce --out {out} --limit-samples -3", "--limit-samples must be 0 (skip the limit) or between 2 and 1000000, got -3" },
        { "reproduce-model-missing", "reproduce --out {out} --model {root}/nothing", "--model {root}/nothing: no such folder" },
        { "reproduce-out-file", "reproduce --out {file}", "--out {file} is a file, not a folder" },
        { "reproduce-threads", "reproduce --out {out} --threads abc", "--threads: 'abc' is not a whole number" },
        { "reproduce-other-settings", "reproduce --out {root}/run --model {model} --data {imdb}", "holds stage model computed with other settings (" },
        { "reproduce-nan-model", "reproduce --out {out} --model {nan} --data {imdb}", "holds NaN or infinite values" },
        { "reproduce-docs-huge", "reproduce --out {out} --docs 99999999", "--docs must be at most 10000000, got 99999999" },

        // --shard I/N (1 <= I <= N) of the sharded studies
        { "faithfulness-shard-0", "faithfulness --model {model} --out {out} --shard 0/4", "--shard: 0/4: shards are numbered from 1 (1/4 to 4/4)" },
        { "faithfulness-shard-beyond", "faithfulness --model {model} --out {out} --shard 5/4", "--shard: 5/4: there is no shard 5 of 4" },
        { "faithfulness-shard-no-count", "faithfulness --model {model} --out {out} --shard 2", "--shard: '2' is not I/N" },
        { "faithfulness-shard-n-0", "faithfulness --model {model} --out {out} --shard 0/0", "--shard: 0/0: the number of shards N must be at least 1" },
        { "faithfulness-shard-words", "faithfulness --model {model} --out {out} --shard one/two", "--shard: 'one/two' is not I/N" },
        { "faithfulness-shard-too-many", "faithfulness --model {model} --out {out} --docs 10 --shard 1/4", "--shard 1/4: 4 shards for the 10 documents of --docs, which make 1 chunk of 100" },
        { "explain-shard-without-split", "explain --model {model} --out {out} --text good --shard 1/2", "--shard 1/2 goes with --split" },
        { "explain-shard-too-many", "explain --model {model} --out {out} --split test --count 3 --shard 2/5", "--shard 2/5: 5 shards for the 3 documents of --count: use at most 3 shards" },
        { "reproduce-shard-without-model", "reproduce --out {out} --shard 1/2", "--shard 1/2 needs --model" },
        { "reproduce-shard-negative", "reproduce --out {out} --model {model} --shard -1/2", "--shard: '-1/2' is not I/N" },

        // merge: the parts of one run, each shard once
        { "merge-missing-shard", "merge --out {out} {root}/parts/one-of-two", "shard 2/2 is missing (the parts given are 1/2)" },
        { "merge-duplicated-shard", "merge --out {out} {root}/parts/one-of-two {root}/parts/two-of-two {root}/parts/two-of-two-copy",
            "shard 2/2 is given twice: {root}/parts/two-of-two and {root}/parts/two-of-two-copy" },
        { "merge-foreign-shard", "merge --out {out} {root}/parts/one-of-two {root}/parts/two-of-two {root}/parts/two-of-two-other-model",
            "{root}/parts/two-of-two-other-model (shard 2/2) is not a part of this run: computed with another model" },
        { "merge-not-a-shard", "merge --out {out} {root}/empty-folder", "{root}/empty-folder: no shard.json: not the part folder of a finished shard" },
        { "merge-model-folder", "merge --out {out} {model} {root}/parts/one-of-two", "{model}: no shard.json" },
        { "merge-missing-folder", "merge --out {out} {root}/nothing", "{root}/nothing: no such folder" },
        { "merge-no-parts", "merge --out {out}", "Required argument 'parts' missing for command: 'merge'" },
        { "merge-out-file", "merge --out {file} {root}/parts/one-of-two {root}/parts/two-of-two", "--out {file} is a file, not a folder" },

        // slurm: the study's options are checked by the study before any script is written
        { "slurm-not-a-study", "slurm predict --out {out} --shards 2", "'predict' is not a study that runs sharded: give one of reproduce, faithfulness, explain or depth" },
        { "slurm-train-shards", "slurm train --out {out} --shards 2", "--shards does not apply to train" },
        { "slurm-train-bad-option", "slurm train --init {root}/hf-tiny --freeze layers:x --data {data} --out {out} --bogus 3", "train: " },
        { "slurm-shards-0", "slurm faithfulness --model {model} --out {out} --shards 0", "--shards N is needed: the number of array tasks the faithfulness study is split into" },
        { "slurm-shards-huge", "slurm faithfulness --model {model} --out {out} --shards 9999999", "--shards must be at most 100000, got 9999999" },
        { "slurm-shards-missing", "slurm faithfulness --model {model} --out {out}", "--shards N is needed: the number of array tasks the faithfulness study is split into" },
        { "slurm-study-option", "slurm faithfulness --model {model} --out {out} --shards 2 --docs 0", "faithfulness: --docs must be at least 1, got 0" },
        { "slurm-study-unknown-option", "slurm faithfulness --model {model} --out {out} --shards 2 --bogus", "faithfulness: Unrecognized command or argument '--bogus'" },
        { "slurm-study-model-required", "slurm faithfulness --out {out} --shards 2", "faithfulness: Option '--model' is required" },
        { "slurm-too-many-shards", "slurm faithfulness --model {model} --out {out} --shards 20", "--shard 1/20: 20 shards for the 1000 documents of --docs" },
        { "slurm-shard-given", "slurm faithfulness --model {model} --out {out} --shards 2 --shard 1/2", "--shard is set per array task by attnxai slurm" },
        { "slurm-explain-without-split", "slurm explain --model {model} --out {out} --shards 2 --text good", "--shard 1/2 goes with --split" },
        { "slurm-gpus-without-cuda", "slurm faithfulness --model {model} --out {out} --shards 2 --gpus-per-task 1", "--gpus-per-task goes with the study's --device cuda" },
        { "slurm-cuda-index", "slurm faithfulness --model {model} --out {out} --shards 2 --device cuda:1", "--device cuda:1: each array task sees only its 1 GPU(s)" },
        { "slurm-time", "slurm faithfulness --model {model} --out {out} --shards 2 --time '1 day'", "--time '1 day' is not a Slurm value" },
        { "slurm-out-file", "slurm faithfulness --model {model} --out {file} --shards 2", "--out {file} is a file, not a folder" },

        // doctor, bench, the root command
        { "doctor-threads-0", "doctor --threads 0", "--threads must be at least 1, got 0" },
        { "doctor-threads-negative", "doctor --threads -2", "--threads must be at least 1, got -2" },
        { "bench-model-steps", "bench model --steps 0", "--steps must be at least 1, got 0" },
        { "bench-model-batches", "bench model --batches 1,x", "--batches: 'x' is not a positive whole number" },
        { "bench-explain-samples", "bench explain --samples 1", "--samples must be between 2 and 1000000" },
        { "bench-model-vocab-huge", "bench model --vocab 2000000000", "--vocab must be at most 2000000, got 2000000000" },
        { "bench-optimizer-steps-huge", "bench optimizer --steps 2000000000", "--steps must be at most 100000, got 2000000000" },
        { "bench-data-missing", "bench data --data {root}/nothing", "{root}/nothing: the given path does not exist" },
        { "unknown-command", "frobnicate", "'frobnicate'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_gives_one_error_line_and_writes_nothing(string name, string arguments, string expected)
    {
        string outDir = fx.Fresh(name);
        string Fill(string s) => s.Replace("{data}", fx.Data).Replace("{model}", fx.Model).Replace("{nan}", fx.NanModel).Replace("{altered}", fx.Altered)
            .Replace("{incomplete}", fx.Incomplete).Replace("{imdb}", fx.Imdb).Replace("{file}", fx.AFile).Replace("{out}", outDir)
            .Replace("{missing}", Path.Combine(fx.Root, "missing.csv")).Replace("{root}", fx.Root);
        var r = Cli.Run(fx.Root, [.. Split(arguments).Select(Fill)]);
        Assert.True(r.ExitCode == 1, $"{name}: {r}");
        var errors = r.ErrorLines;
        Assert.True(errors.Length == 1, $"{name}: expected one error line: {r}");
        Assert.Contains(Fill(expected), errors[0]);
        var all = r.Stdout + r.Stderr;
        Assert.False(StackFrame().IsMatch(all), $"{name}: a stack trace: {r}");
        Assert.False(TypeName().IsMatch(all), $"{name}: a .NET type name: {r}");
        Assert.DoesNotContain("(Parameter '", all);
        Assert.DoesNotContain("Usage:", all);
        Assert.False(RecordDump().IsMatch(all), $"{name}: a record dump: {r}");
        Assert.False(Directory.Exists(outDir) || File.Exists(outDir), $"{name}: {outDir} was written");
        Assert.False(Directory.Exists(fx.Model + ".tmp"));
    }

    [Fact]
    public void The_table_covers_every_command_with_at_least_sixty_cases()
    {
        var cases = Cases.Select(c => (string)c[0]).ToList();
        Assert.True(cases.Count >= 60, $"{cases.Count} cases");
        Assert.Equal(cases.Count, cases.Distinct().Count());
        foreach (var command in new[] { "train", "eval", "predict", "explain", "faithfulness", "depth", "sets", "shortcuts", "reproduce", "merge", "slurm", "doctor", "bench" })
            Assert.Contains(cases, c => c.StartsWith(command + "-", StringComparison.Ordinal));
    }

    /// <summary>Splits on spaces, keeping 'single-quoted parts' together (an empty one included).</summary>
    private static IEnumerable<string> Split(string s) =>
        Words().Matches(s).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Value);

    [GeneratedRegex(@"'([^']*)'|\S+")]
    private static partial Regex Words();

    [GeneratedRegex(@"^\s+at \S+\(|Unhandled exception|--- End of", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"\bSystem\.[A-Z][A-Za-z]+|`1\[|\w+Exception\b")]
    private static partial Regex TypeName();

    [GeneratedRegex(@"\b[A-Z]\w+ \{ [A-Z]\w+ = ")]
    private static partial Regex RecordDump();
}
