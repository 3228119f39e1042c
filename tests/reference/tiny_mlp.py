"""Independent reference for tests/train_reference.rs: the course's test model
Linear(2,4) -> ReLU -> Linear(4,2), trained with plain SGD, batch size 1, no shuffling,
cross-entropy, in float64 with no libraries. Run: python3 tests/reference/tiny_mlp.py

Ties in argmax go to the last class, the rule that reproduces the course's reference accuracy
of 25.0 on its all-ties evaluate case (HOMEWORK section 0)."""
import math

TRAIN_X = [[0.5, 1.0], [-1.0, 0.25], [1.5, -0.5], [-0.75, -1.25], [0.2, 0.3],
           [-0.4, 0.9], [1.1, 1.2], [-1.3, 0.1], [0.6, -1.4], [-0.2, -0.3]]
TRAIN_Y = [1 if x0 + x1 > 0 else 0 for x0, x1 in TRAIN_X]
VALID_X = [[0.3, -0.1], [-0.6, -0.2], [0.9, 0.4], [-0.1, 0.7]]
VALID_Y = [1 if x0 + x1 > 0 else 0 for x0, x1 in VALID_X]


def init(w):
    # burn stores Linear weights as [in, out]; with one constant the layout does not matter.
    return {"w1": [[w] * 4 for _ in range(2)], "b1": [0.0] * 4,
            "w2": [[w] * 2 for _ in range(4)], "b2": [0.0] * 2}


def forward(p, x):
    z1 = [sum(x[i] * p["w1"][i][j] for i in range(2)) + p["b1"][j] for j in range(4)]
    h = [max(0.0, z) for z in z1]
    out = [sum(h[j] * p["w2"][j][k] for j in range(4)) + p["b2"][k] for k in range(2)]
    return z1, h, out


def loss_and_pred(out, y):
    m = max(out)
    lse = m + math.log(sum(math.exp(o - m) for o in out))
    pred = max(range(len(out)), key=lambda k: (out[k], k))  # last index wins ties
    return lse - out[y], pred


def sgd_step(p, x, y, lr):
    z1, h, out = forward(p, x)
    m = max(out)
    e = [math.exp(o - m) for o in out]
    s = sum(e)
    d_out = [e[k] / s - (1.0 if k == y else 0.0) for k in range(2)]
    d_h = [sum(d_out[k] * p["w2"][j][k] for k in range(2)) for j in range(4)]
    d_z1 = [d_h[j] if z1[j] > 0 else 0.0 for j in range(4)]
    for j in range(4):
        for k in range(2):
            p["w2"][j][k] -= lr * h[j] * d_out[k]
    for k in range(2):
        p["b2"][k] -= lr * d_out[k]
    for i in range(2):
        for j in range(4):
            p["w1"][i][j] -= lr * x[i] * d_z1[j]
    for j in range(4):
        p["b1"][j] -= lr * d_z1[j]


def train_one_epoch(p, xs, ys, lr):
    total, correct = 0.0, 0
    for x, y in zip(xs, ys):
        loss, pred = loss_and_pred(forward(p, x)[2], y)
        total += loss
        correct += pred == y
        sgd_step(p, x, y, lr)
    return total / len(xs), 100.0 * correct / len(xs)


def evaluate(p, xs, ys):
    results = [loss_and_pred(forward(p, x)[2], y) for x, y in zip(xs, ys)]
    return (sum(r[0] for r in results) / len(xs),
            100.0 * sum(r[1] == y for r, y in zip(results, ys)) / len(xs))


p = init(1.0)
print("evaluate, course case:", evaluate(p, [[1, 1], [-1, 1], [-1, -1], [1, -1]], [1, 0, 0, 0]))
p = init(0.001)
print("train_one_epoch, weights 0.001, lr 0.1:", train_one_epoch(p, TRAIN_X, TRAIN_Y, 0.1))
p = init(0.5)
lists = {"train_loss": [], "train_acc": [], "valid_loss": [], "valid_acc": []}
for _ in range(5):
    tl, ta = train_one_epoch(p, TRAIN_X, TRAIN_Y, 1e-3)
    vl, va = evaluate(p, VALID_X, VALID_Y)
    for k, v in zip(lists, (tl, ta, vl, va)):
        lists[k].append(v)
print("run_model, weights 0.5, lr 1e-3, 5 epochs:")
for k, v in lists.items():
    print(f"  {k}: {v} mean {sum(v) / len(v)!r}")
print("labels", TRAIN_Y, VALID_Y)
