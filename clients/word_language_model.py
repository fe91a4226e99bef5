"""The official word-level language model (pytorch/examples, word_language_model) on a
synthetic corpus.

Same RNNModel (Embedding, LSTM, Linear, weight tying: decoder.weight = encoder.weight), the same
batchify / get_batch / repackage_hidden (truncated BPTT with hidden-state detach), NLLLoss,
clip_grad_norm_, the hand-written SGD update p.data.add_(p.grad, alpha=-lr), learning-rate
annealing, and the save / load of the best model with torch.save(model, f) and
torch.load(f, weights_only=False). The corpus is a sequence of words drawn with NumPy from a
fixed seed (a sparse Markov chain over 40 words), and the initial weights come from NumPy, so any
library running this text starts from the same numbers. Timings are not printed.
--deterministic turns dropout off (its random stream differs between libraries).
"""

import argparse
import math
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Dictionary:
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus:
    """train / valid / test as 1-D int64 tensors of word ids, like data.Corpus."""

    def __init__(self, seed, vocab=40, sizes=(2000, 400, 400)):
        rng = np.random.default_rng(seed)
        successors = rng.integers(0, vocab, size=(vocab, 3))
        self.dictionary = Dictionary()
        self.train, self.valid, self.test = (self.tokenize(self.sentences(rng, successors, n))
                                             for n in sizes)

    @staticmethod
    def sentences(rng, successors, n):
        words, w = [], 0
        for _ in range(n):
            w = successors[w, rng.integers(0, 3)] if rng.random() < 0.9 else rng.integers(0, 40)
            words.append(f"w{w}")
        return [words[i:i + 20] + ['<eos>'] for i in range(0, n, 20)]

    def tokenize(self, lines):
        idss = []
        for words in lines:
            ids = []
            for word in words:
                ids.append(self.dictionary.add_word(word))
            idss.append(torch.tensor(ids).type(torch.int64))
        return torch.cat(idss)


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight

        self.init_weights()

        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        nn.init.zeros_(self.decoder.bias)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def init_from_numpy(model, seed):
    """The encoder (and tied decoder) uniform(-0.1, 0.1) as init_weights does, the LSTM
    uniform(-1/sqrt(nhid), 1/sqrt(nhid)) as nn.LSTM does, from a NumPy stream."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith('rnn.'):
                bound = 1.0 / math.sqrt(model.nhid)
            elif name == 'decoder.bias':
                continue
            else:
                bound = 0.1
            w = rng.uniform(-bound, bound, size=tuple(p.shape)).astype(np.float32)
            p.copy_(torch.from_numpy(w))


def batchify(data, bsz, device):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, criterion, data_source, eval_batch_size, bptt):
    # Turn on evaluation mode which disables dropout.
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train(args, model, criterion, train_data, lr, epoch):
    # Turn on training mode which enables dropout.
    model.train()
    total_loss = 0.
    hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i, args.bptt)
        # Starting each batch, we detach the hidden state from how it was previously produced.
        # If we didn't, the model would try backpropagating all the way to start of the dataset.
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()

        # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()

        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            print('| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | '
                  'loss {:5.4f} | ppl {:8.4f}'.format(
                      epoch, batch, len(train_data) // args.bptt, lr,
                      cur_loss, math.exp(cur_loss)))
            total_loss = 0


def main(argv=None):
    parser = argparse.ArgumentParser(description='PyTorch LSTM Language Model (synthetic)')
    parser.add_argument('--model', type=str, default='LSTM')
    parser.add_argument('--emsize', type=int, default=32)
    parser.add_argument('--nhid', type=int, default=32)
    parser.add_argument('--nlayers', type=int, default=2)
    parser.add_argument('--lr', type=float, default=20)
    parser.add_argument('--clip', type=float, default=0.25)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--batch_size', type=int, default=10, metavar='N')
    parser.add_argument('--bptt', type=int, default=20)
    parser.add_argument('--dropout', type=float, default=0.2)
    parser.add_argument('--tied', action='store_true', default=True)
    parser.add_argument('--seed', type=int, default=1111)
    parser.add_argument('--log-interval', type=int, default=4, metavar='N')
    parser.add_argument('--deterministic', action='store_true', default=False,
                        help='no dropout: the same numbers in any library')
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    corpus = Corpus(args.seed)
    eval_batch_size = 10
    train_data = batchify(corpus.train, args.batch_size, device)
    val_data = batchify(corpus.valid, eval_batch_size, device)
    test_data = batchify(corpus.test, eval_batch_size, device)

    ntokens = len(corpus.dictionary)
    dropout = 0.0 if args.deterministic else args.dropout
    model = RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, dropout,
                     args.tied).to(device)
    init_from_numpy(model, args.seed)
    criterion = nn.NLLLoss()

    lr = args.lr
    best_val_loss = None
    with tempfile.TemporaryDirectory() as tmp:
        save = os.path.join(tmp, 'model.pt')
        for epoch in range(1, args.epochs + 1):
            train(args, model, criterion, train_data, lr, epoch)
            val_loss = evaluate(model, criterion, val_data, eval_batch_size, args.bptt)
            print('-' * 89)
            print('| end of epoch {:3d} | valid loss {:5.4f} | valid ppl {:8.4f}'.format(
                epoch, val_loss, math.exp(val_loss)))
            print('-' * 89)
            # Save the model if the validation loss is the best we've seen so far.
            if not best_val_loss or val_loss < best_val_loss:
                with open(save, 'wb') as f:
                    torch.save(model, f)
                best_val_loss = val_loss
            else:
                # Anneal the learning rate if no improvement has been seen in the validation
                # dataset.
                lr /= 4.0

        # Load the best saved model.
        with open(save, 'rb') as f:
            model = torch.load(f, weights_only=False)
            # after load the rnn params are not a continuous chunk of memory
            # this makes them a continuous chunk, and will speed up forward pass
            model.rnn.flatten_parameters()

    # Run on test data.
    test_loss = evaluate(model, criterion, test_data, eval_batch_size, args.bptt)
    print('=' * 89)
    print('| End of training | test loss {:5.4f} | test ppl {:8.4f}'.format(
        test_loss, math.exp(test_loss)))
    print('=' * 89)


if __name__ == '__main__':
    main()
