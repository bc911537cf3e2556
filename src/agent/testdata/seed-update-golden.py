"""Recipe of seed-update-golden.json: one whole PPO update of the article's agent, computed by PyTorch.

The network and train_net are the article's (as re-implemented in /work/shared/bench/seed_ref/seed_ppo_lstm.py:
dense(10) -> nn.LSTM(10) -> softmax policy / value heads, Adam lr 0.0005, gamma 0.98, lambda 0.95, clip 0.1,
3 epochs over one 500-step episode, smooth-L1 value loss), copied here with two changes only: every tensor is
float64 (the reference casts rewards and advantages to float32), and an optional global gradient-norm clip
(torch.nn.utils.clip_grad_norm_) before each Adam step. A rollout of 500 steps is collected with the article's
own per-step loop (pi(x, hidden), Categorical sampling) on seeded random observations and rewards; then the
update runs twice from the same start: without a clip (the article) and with max norm 0.02 (below every gradient norm of this update, so that each step is clipped).

Parameters are written in the project's layout (src/agent/network-spec.ts): kernels [inputs, outputs] (PyTorch's
weight transposed), LSTM gates i, f, g, o, and the two LSTM biases b_ih and b_hh as their own blocks.

Run (Debian: apt-get install -y python3-torch):  /usr/bin/python3 seed-update-golden.py > seed-update-golden.json
"""
import json
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions import Categorical

torch.set_default_dtype(torch.float64)
LR, GAMMA, LMBDA, EPS_CLIP, K_EPOCH = 0.0005, 0.98, 0.95, 0.1, 3
T, OBS, ACTIONS, HIDDEN = 500, 7, 3, 10


class PPO(nn.Module):
    def __init__(self, state_size, action_size, hidden=10, max_grad_norm=None):
        super().__init__()
        self.h = hidden
        self.max_grad_norm = max_grad_norm
        self.fc1 = nn.Linear(state_size, hidden)
        self.lstm = nn.LSTM(hidden, hidden)
        self.fc_pi = nn.Linear(hidden, action_size)
        self.fc_v = nn.Linear(hidden, 1)
        self.optimizer = optim.Adam(self.parameters(), lr=LR)

    def pi(self, x, hidden):
        x = torch.relu(self.fc1(x)).view(-1, 1, self.h)
        x, hidden = self.lstm(x, hidden)
        return torch.softmax(self.fc_pi(x), dim=2), hidden

    def v(self, x, hidden):
        x = torch.relu(self.fc1(x)).view(-1, 1, self.h)
        x, _ = self.lstm(x, hidden)
        return self.fc_v(x)

    def train_net(self, data):
        s, a, r, s2, prob_a, h0, done = zip(*data)
        s = torch.tensor(np.array(s)); s2 = torch.tensor(np.array(s2))
        a = torch.tensor(a).view(-1, 1); r = torch.tensor(r).view(-1, 1)
        prob_a = torch.tensor(prob_a).view(-1, 1)
        mask = torch.tensor([0.0 if d else 1.0 for d in done]).view(-1, 1)
        first = (h0[0][0].detach(), h0[0][1].detach())
        for _ in range(K_EPOCH):
            v_prime = self.v(s2, first).squeeze(1)
            td_target = r + GAMMA * v_prime * mask
            v_s = self.v(s, first).squeeze(1)
            delta = (td_target - v_s).detach().numpy()
            adv, acc = [], 0.0
            for d in delta[::-1]:
                acc = GAMMA * LMBDA * acc + d[0]
                adv.append([acc])
            adv.reverse()
            adv = torch.tensor(adv)
            pi, _ = self.pi(s, first)
            pi_a = pi.squeeze(1).gather(1, a)
            ratio = torch.exp(torch.log(pi_a) - torch.log(prob_a))
            loss = -torch.min(ratio * adv, torch.clamp(ratio, 1 - EPS_CLIP, 1 + EPS_CLIP) * adv) \
                + nn.functional.smooth_l1_loss(v_s, td_target.detach())
            self.optimizer.zero_grad()
            loss.mean().backward()
            if self.max_grad_norm is not None:
                norm = torch.nn.utils.clip_grad_norm_(self.parameters(), self.max_grad_norm)
                assert norm > self.max_grad_norm, "the clip must bind at every step"
            self.optimizer.step()


def layout(m):
    """The project's flat parameter vector (network-spec.ts order), as a list of floats."""
    H = m.h
    blocks = [
        m.fc1.weight.T, m.fc1.bias,
        m.lstm.weight_ih_l0.T, m.lstm.weight_hh_l0.T, m.lstm.bias_ih_l0, m.lstm.bias_hh_l0,
        m.fc_pi.weight.T, m.fc_pi.bias, m.fc_v.weight.T, m.fc_v.bias,
    ]
    assert blocks[2].shape == (H, 4 * H)
    return [float(x) for b in blocks for x in b.detach().reshape(-1)]


torch.manual_seed(20240601)
rng = np.random.default_rng(20240601)
model = PPO(OBS, ACTIONS, HIDDEN)
# Observations: float32-representable values (the project stores observations as float32).
obs = (rng.normal(size=(T + 1, OBS)) * 0.8).astype(np.float32).astype(np.float64)
obs[:, 5] = np.abs(obs[:, 5]); obs[:, 6] = np.abs(obs[:, 6])  # cash/10000 and coins are >= 0
rewards = rng.normal(size=T) * 3.0  # already divided by 10, as the article stores them
params0 = layout(model)

data, actions, log_probs = [], [], []
hidden = (torch.zeros(1, 1, HIDDEN), torch.zeros(1, 1, HIDDEN))
with torch.no_grad():
    for t in range(T):
        h_in = hidden
        prob, hidden = model.pi(torch.tensor(obs[t]), hidden)
        act = int(Categorical(prob.view(-1)).sample().item())
        p = float(prob.view(-1)[act].item())
        done = t == T - 1
        data.append((obs[t], act, float(rewards[t]), obs[t + 1], p, h_in, done))
        actions.append(act); log_probs.append(float(np.log(p)))

state = {k: v.clone() for k, v in model.state_dict().items()}
after = {}
for name, clip in [("no_clip", None), ("clip_0.02", 0.02)]:
    m = PPO(OBS, ACTIONS, HIDDEN, max_grad_norm=clip)
    m.load_state_dict(state)
    m.train_net(data)
    after[name] = layout(m)

json.dump({
    "recipe": "src/agent/testdata/seed-update-golden.py",
    "torch": torch.__version__,
    "steps": T, "observationSize": OBS, "actions": ACTIONS, "hidden": HIDDEN,
    "parameters": params0,
    "observations": obs[:T].reshape(-1).tolist(),
    "finalObservation": obs[T].tolist(),
    "actionsTaken": actions,
    "rewards": rewards.tolist(),
    "logProbs": log_probs,
    "after": after,
}, open(1, "w"))
