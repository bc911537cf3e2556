"""Recipe of seed-reference-golden.json: runs the article's env as re-implemented in
/work/shared/bench/seed_ref/seed_ppo_lstm.py (class BitcoinTradingEnv, its own reset/step code) on a small
exact-arithmetic series with a fixed action sequence, and records every reward, value and portfolio.

pandas and torch are not needed by reset/step: they are stubbed, and the env's arrays are set directly
(close in float64 as the reference holds it). Run: python3 seed-reference-golden.py > seed-reference-golden.json
"""
import json, sys, types
import numpy as np

for name in ["pandas", "torch", "torch.nn", "torch.optim", "torch.distributions"]:
    sys.modules[name] = types.ModuleType(name)
sys.modules["torch.nn"].Module = object
sys.modules["torch"].nn = sys.modules["torch.nn"]
sys.modules["torch"].optim = sys.modules["torch.optim"]
sys.modules["torch.distributions"].Categorical = object
sys.path.insert(0, "/work/shared/bench/seed_ref")
from seed_ppo_lstm import BitcoinTradingEnv  # noqa: E402

ROWS = 240
# close_t = 100 + ((37·t) mod 50) − 0.25·(t mod 7) + 2·floor(t / 40): exact in binary floating point.
close = np.array([100 + (37 * t) % 50 - 0.25 * (t % 7) + 2 * (t // 40) for t in range(ROWS)], dtype=np.float64)
# actions: a fixed pseudo-random pattern with long runs of sells (to reach the 0.0001-coin minimum) and buys.
actions = [((t * 7 + (t // 11)) % 3) if (t // 30) % 3 != 1 else (2 if t % 5 else 0) for t in range(ROWS - 1)]

env = BitcoinTradingEnv.__new__(BitcoinTradingEnv)
env.close = close
env.norm = np.zeros((ROWS, 5), dtype=np.float32)
env.df = np.zeros(ROWS)
env.commission, env.initial_balance, env.initial_stocks = 0.00075, 10000, 1
env.mode, env.sample_length = True, 500
env.reset()
steps = []
for a in actions:
    _, reward, done, profit, value = env.step(a)
    steps.append({"reward": float(reward), "profit": float(profit), "value": float(value),
                  "cash": float(env.balance), "coins": float(env.stocks), "done": bool(done)})
json.dump({"recipe": "src/env/testdata/seed-reference-golden.py", "close": close.tolist(), "actions": actions,
           "steps": steps}, sys.stdout)
