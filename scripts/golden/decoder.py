"""Fixtures for attend.AttentionDecoder, checked against a plain PyTorch reference written from the equations.

PyTorch has no attention decoder, so the reference below is the definition (docs/recurrent_attention.md): one step t
with input x_t, memory m (keys = values), previous state s_{t-1}:

    bahdanau:  c_t, a_t = attend(h_{t-1});  s_t = cell([x_t; c_t; h*_{t-1}], s_{t-1})
    luong:     s_t = cell([x_t; h*_{t-1}], s_{t-1});  c_t, a_t = attend(h_t)
    attend(q): a = softmax over unmasked i of score(q, m_i);  c = sum_i a_i m_i
    h*_t = tanh(W_out [c; h])  |  W_h h + W_c c  |  g = sigmoid(W_g [c; h]), g * h + (1 - g) * (W_c c)
    y_t = W_y h*_t + b_y
(h*_{t-1} only with input_feeding, h*_{-1} = 0). With coverage (additive scorer), cov_t = sum_{s<t} a_s enters the
score as v^T tanh(W_q q + b_q + W_k m_i + w_cov cov_t,i) and the coverage loss of step t is sum_i min(a_t,i, cov_t,i).
The parameter names are attend's (cell.* as torch.nn.GRUCell/LSTMCell/RNNCell, attn.* as the attend scorers).
"""
import torch
from torch import nn

from golden.common import F32, F64, fixture

MODULE = "attend.AttentionDecoder"


class Scorer(nn.Module):
    """The attend scorers: dot, scaled_dot, general, additive, mlp (names as OpenNMT-py / attend)."""

    def __init__(self, kind, dq, dk, hidden=0, activation="tanh", scale=None):
        super().__init__()
        self.kind, self.activation = kind, activation
        self.scale = scale if scale is not None else dk ** -0.5
        if kind == "general":
            self.linear_in = nn.Linear(dq, dk, bias=False)
        elif kind == "additive":
            hidden = hidden or dk
            self.linear_context = nn.Linear(dk, hidden, bias=False)
            self.linear_query = nn.Linear(dq, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)
        elif kind == "mlp":
            self.fc1 = nn.Linear(dq + dk, hidden)
            self.fc2 = nn.Linear(hidden, 1)
        self.hidden = hidden

    def forward(self, q, m, cover=None):
        """q [B, Dq], m [B, Tk, Dk] -> scores [B, Tk]; cover [B, Tk, A] is added inside the additive tanh."""
        if self.kind in ("dot", "scaled_dot"):
            s = (q[:, None, :] * m).sum(-1)
            return s * self.scale if self.kind == "scaled_dot" else s
        if self.kind == "general":
            return (self.linear_in(q)[:, None, :] * m).sum(-1)
        if self.kind == "additive":
            pre = self.linear_query(q)[:, None, :] + self.linear_context(m)
            if cover is not None:
                pre = pre + cover
            return self.v(torch.tanh(pre)).squeeze(-1)
        pair = torch.cat([q[:, None, :].expand(-1, m.shape[1], -1), m], -1)
        act = torch.tanh if self.activation == "tanh" else torch.relu
        return self.fc2(act(self.fc1(pair))).squeeze(-1)


CELLS = {"rnn_tanh": lambda i, h: nn.RNNCell(i, h, nonlinearity="tanh"),
         "rnn_relu": lambda i, h: nn.RNNCell(i, h, nonlinearity="relu"),
         "lstm": nn.LSTMCell, "gru": nn.GRUCell}


class AttentionDecoder(nn.Module):
    def __init__(self, cell, input_size, hidden_size, memory_size, output_size, scorer, placement, fusion,
                 input_feeding, coverage, scorer_hidden=0, scorer_activation="tanh", scorer_scale=None):
        super().__init__()
        E, H, Dk = input_size, hidden_size, memory_size
        self.kind, self.placement, self.fusion = cell, placement, fusion
        self.input_feeding, self.coverage, self.H = input_feeding, coverage, H
        cell_in = E + (Dk if placement == "bahdanau" else 0) + (H if input_feeding else 0)
        self.cell = CELLS[cell](cell_in, H)
        self.attn = Scorer(scorer, H, Dk, scorer_hidden, scorer_activation, scorer_scale)
        if coverage:
            self.linear_cover = nn.Linear(1, self.attn.hidden, bias=False)
        if fusion == "concat":
            self.linear_out = nn.Linear(Dk + H, H, bias=False)
        elif fusion == "weighted_sum":
            self.linear_h = nn.Linear(H, H, bias=False)
            self.linear_c = nn.Linear(Dk, H, bias=False)
        else:
            self.linear_gate = nn.Linear(Dk + H, H, bias=False)
            self.linear_c = nn.Linear(Dk, H, bias=False)
        self.linear_y = nn.Linear(H, output_size)

    def fuse(self, h, c):
        if self.fusion == "concat":
            return torch.tanh(self.linear_out(torch.cat([c, h], -1)))
        if self.fusion == "weighted_sum":
            return self.linear_h(h) + self.linear_c(c)
        g = torch.sigmoid(self.linear_gate(torch.cat([c, h], -1)))
        return g * h + (1 - g) * self.linear_c(c)

    def forward(self, input, memory, src_lengths=None, h0=None, c0=None):
        B, Tt, _ = input.shape
        Tk = memory.shape[1]
        zeros = input.new_zeros(B, self.H)
        h = h0 if h0 is not None else zeros
        c = c0 if c0 is not None else zeros
        feed, cov = zeros, input.new_zeros(B, Tk)
        masked = None if src_lengths is None else torch.arange(Tk)[None, :] >= src_lengths[:, None]
        logits, aligns, cov_losses = [], [], []

        def attend(q):
            cover = self.linear_cover(cov[..., None]) if self.coverage else None
            s = self.attn(q, memory, cover)
            if masked is not None:
                s = s.masked_fill(masked, float("-inf"))
            a = torch.softmax(s, -1)
            return torch.bmm(a[:, None, :], memory).squeeze(1), a

        for t in range(Tt):
            parts = [input[:, t]]
            if self.placement == "bahdanau":
                ctx, a = attend(h)
                parts.append(ctx)
            if self.input_feeding:
                parts.append(feed)
            x = torch.cat(parts, -1)
            if self.kind == "lstm":
                h, c = self.cell(x, (h, c))
            else:
                h = self.cell(x, h)
            if self.placement == "luong":
                ctx, a = attend(h)
            h_star = self.fuse(h, ctx)
            logits.append(self.linear_y(h_star))
            aligns.append(a)
            if self.coverage:
                cov_losses.append(torch.minimum(a, cov).sum(-1))
                cov = cov + a
            feed = h_star
        out = {"output": torch.stack(logits, 1), "align": torch.stack(aligns, 1)}
        if self.coverage:
            out["coverage_loss"] = torch.stack(cov_losses, 1)
        return out


def randomize_(module, scale=0.5):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, dtype=p.dtype) * scale)
    return module


# (name, cell, scorer, placement, fusion, input_feeding, coverage, lengths, h0, dtype, extra kwargs)
CASES = [
    ("bahdanau_concat_gru", "gru", "additive", "bahdanau", "concat", False, False, True, True, F32, {}),
    ("bahdanau_concat_lstm_mlp", "lstm", "mlp", "bahdanau", "concat", False, False, False, True, F32,
     {"scorer_hidden": 6, "scorer_activation": "tanh"}),
    ("bahdanau_weighted_sum_gru", "gru", "additive", "bahdanau", "weighted_sum", False, False, True, False, F32, {}),
    ("bahdanau_weighted_sum_lstm_general", "lstm", "general", "bahdanau", "weighted_sum", False, False, True, True,
     F64, {}),
    ("bahdanau_gate_gru", "gru", "additive", "bahdanau", "gate", False, False, True, True, F32, {"scorer_hidden": 3}),
    ("bahdanau_gate_rnn_tanh_dot", "rnn_tanh", "dot", "bahdanau", "gate", False, False, True, True, F32, {}),
    ("luong_concat_gru_general", "gru", "general", "luong", "concat", False, False, True, True, F32, {}),
    ("luong_concat_lstm_dot", "lstm", "dot", "luong", "concat", False, False, True, True, F64, {}),
    ("luong_weighted_sum_gru_dot", "gru", "dot", "luong", "weighted_sum", False, False, False, False, F32, {}),
    ("luong_weighted_sum_rnn_relu_general", "rnn_relu", "general", "luong", "weighted_sum", False, False, True, True,
     F32, {}),
    ("luong_gate_lstm_additive", "lstm", "additive", "luong", "gate", False, False, True, True, F32, {}),
    ("luong_gate_gru_mlp_relu", "gru", "mlp", "luong", "gate", False, False, True, False, F32,
     {"scorer_hidden": 5, "scorer_activation": "relu"}),
    ("feed_luong_lstm_general", "lstm", "general", "luong", "concat", True, False, True, True, F32, {}),
    ("feed_bahdanau_gru_additive", "gru", "additive", "bahdanau", "concat", True, False, True, True, F32, {}),
    ("feed_luong_gru_scaled_dot", "gru", "scaled_dot", "luong", "weighted_sum", True, False, True, True, F32, {}),
    ("coverage_bahdanau_gru", "gru", "additive", "bahdanau", "concat", False, True, True, True, F32, {}),
    ("coverage_luong_lstm_feed", "lstm", "additive", "luong", "gate", True, True, True, True, F32,
     {"scorer_hidden": 6}),
    ("coverage_bahdanau_rnn_tanh_f64", "rnn_tanh", "additive", "bahdanau", "weighted_sum", False, True, True, False,
     F64, {}),
    ("cell_rnn_tanh_bahdanau", "rnn_tanh", "additive", "bahdanau", "concat", False, False, True, True, F32, {}),
    ("cell_rnn_relu_bahdanau", "rnn_relu", "additive", "bahdanau", "concat", False, False, False, True, F32, {}),
    ("cell_lstm_bahdanau_f64", "lstm", "additive", "bahdanau", "concat", False, False, True, True, F64, {}),
    ("cell_gru_luong_f64", "gru", "general", "luong", "concat", True, False, True, True, F64, {}),
]

B, TT, TK, E, H, DK, V = 3, 4, 5, 3, 4, 5, 6


def make_case(name, cell, scorer, placement, fusion, feeding, coverage, with_lengths, with_h0, dtype, extra):
    dk = H if scorer in ("dot", "scaled_dot") else DK
    kwargs = {"cell": cell, "input_size": E, "hidden_size": H, "memory_size": dk, "output_size": V,
              "scorer": scorer, "placement": placement, "fusion": fusion, "input_feeding": feeding,
              "coverage": coverage, **extra}
    module = randomize_(AttentionDecoder(**kwargs))
    inputs = {"input": torch.randn(B, TT, E), "memory": torch.randn(B, TK, dk)}
    if with_lengths:
        lengths = torch.randint(1, TK + 1, (B,))
        lengths[0] = TK
        lengths[1] = min(int(lengths[1]), TK - 2)
        inputs["src_lengths"] = lengths
    if with_h0:
        inputs["h0"] = torch.randn(B, H)
        if cell == "lstm":
            inputs["c0"] = torch.randn(B, H)

    def forward(m, leaves):
        return m(**leaves)
    return fixture(f"decoder_{name}", MODULE, kwargs, module, inputs, dtype, grad=True,
                   differentiable=("input", "memory", "h0", "c0"), forward=forward)


def cases():
    for row in CASES:
        yield f"decoder_{row[0]}", lambda row=row: make_case(*row)
