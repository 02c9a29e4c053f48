extension AutoRecCommand {
    static let mainHelp = """
    autorec — AutoRec collaborative filtering (Sedhain et al., WWW 2015) on TapeGrad

    usage:
      autorec train [options]            train and evaluate (the default command: 'train' may be left out)
      autorec evaluate --load FILE ...   evaluate a saved model
      autorec recommend --load FILE --user ID [--top 10] [--titles FILE]
      autorec help                       this text and train's options

    Run 'autorec COMMAND --help' for a command's options.

    """

    static let trainHelp = """
    usage: autorec [train] [--ratings FILE | --train FILE --test FILE | --synthetic UxIxR]
                           [--model item|user] [--hidden 500 | --hidden 500,250,500]
                           [--lambda auto|X] [--optimizer rprop|lbfgs|adam|sgd] [--epochs N]
                           [--lambda-average N] [--blend on|off] [--blend-dropout P] [--input-dropout P] [--centering MODE]
                           [--precision fp32|bf16] [--seed N] [--threads N] [--repeat N] [--test-fraction F]
                           [--save FILE] [--metrics-json FILE] [--plot FILE.svg] [--titles FILE] [--quiet]

    Trains AutoRec and reports test RMSE/MAE and P@10, R@10, NDCG@10 (relevant: rating ≥ 4).
    λ and the number of epochs are chosen on 10% of the training ratings held out for
    validation; test ratings are used for nothing but the final report. The data must leave at
    least one test rating, one validation rating and one rating to train on (else exit 1); the
    rating scale is the training ratings' range.

    data (one of; default: synthetic \(defaultSynthetic), a MovieLens-100K-sized set):
      --ratings FILE        ratings (u.data, ratings.dat or ratings.csv; detected), split at random
      --train FILE --test FILE   a given split (e.g. u1.base / u1.test)
      --synthetic UxIxR     generated MovieLens-like data: users x items x ratings
      --test-fraction F     test share of a random split (default 0.1)
      --repeat N            N random splits (seeds seed, seed+1, …): mean and 95% CI
    model:
      --model item|user     I-AutoRec (default) or U-AutoRec
      --hidden SIZES        hidden layer sizes (default 500; e.g. 500,250,500)
      --lambda auto|X       weight penalty λ/2·ΣW² (default auto: grid on validation)
      --dropout P           dropout on the hidden units in training (default 0, the paper's model)
      --input-dropout P     denoising: drop observed input ratings in training (default 0)
      --centering MODE      none (default, the paper's), global (subtract the mean rating) or
                            instance (subtract each item's/user's shrunk mean) from inputs and targets
    training:
      --optimizer NAME      rprop (default, full batch), lbfgs (full batch), adam, sgd (mini-batch)
      --epochs N            most epochs per run (default 300; early stopping on validation)
      --patience N          epochs without validation improvement before stopping (default 25)
      --learning-rate X     optimizer step (rprop initial step 0.01, adam 0.001, sgd 0.0001)
      --ensemble N          average N models: N−1 refits from different seeds + the selection model (default 1)
      --lambda-average N    average the models of up to N best λ, how many chosen on validation (default 5; 1: off)
      --blend on|off        also fit the other kind (U-AutoRec for I-AutoRec) and blend the predictions
                            with weights chosen on validation (default on; off: the main model alone,
                            about 1/3 of the time)
      --blend-dropout P     the third blend member: this kind with input dropout P, weight chosen on
                            validation (default 0.25; 0: no third member)
      --precision fp32|bf16 sparse products in Float (default) or reading bfloat16 copies of the rows
                            they gather, accumulating in Float (mixed precision; faster, see Docs/AutoRec.md)
      --no-refit            keep the model trained on 90% instead of refitting on all training data
      --seed N              seeds the split, the initial weights and batches (default 1)
      --threads N           worker threads (default: TAPEGRAD_THREADS or all cores)
    output:
      --save FILE           save the model (safetensors) for evaluate/recommend: what prediction needs,
                            every network prediction averages (the λ average of the main model and of
                            each blend member: 10 networks, 54 MB for ML-100K by default; with
                            --blend off --lambda-average 1 one network, 5 MB) and the training ratings
      --metrics-json FILE   write metrics and per-epoch history as JSON
      --plot FILE.svg       chart per fitted model: training loss (log scale), validation RMSE per epoch
                            of each averaged λ, the kept epoch
      --titles FILE         item titles (u.item, movies.dat, movies.csv) for the sample recommendations
      --quiet               no progress on stderr (on a terminal a live line; otherwise a line every
                            5 seconds and at the end of each training run)
    Output paths are checked before training starts.

    exit status: 0 ok, 1 data error, 2 usage error

    """

    static let evaluateHelp = """
    usage: autorec evaluate --load FILE (--test FILE | --ratings FILE | --synthetic UxIxR)
                            [--test-fraction F] [--seed N] [--threads N] [--metrics-json FILE]
                            [--predictions FILE.csv]

    Evaluates a model saved with 'autorec train --save'. With --test the whole file is the test
    set; with --ratings or --synthetic the data is split again with the split seed and test
    fraction stored in the model (override with --seed, --test-fraction), reproducing the test
    set of training. Users or items unknown to the model get the default rating.
    --predictions writes user,item,rating,prediction for every test rating (CSV, raw ids).

    """

    static let recommendHelp = """
    usage: autorec recommend --load FILE --user ID [--top N] [--titles FILE] [--threads N]

    Prints the N (default 10) items the user has not rated in training with the highest
    predicted ratings. --titles reads u.item, movies.dat or movies.csv.

    """
}
