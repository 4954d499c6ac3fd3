# An independent reference for real-data recipes: a torchvision DenseNet trained in PyTorch on the
# same preprocessing cache and folds as `drgrade train`, printing the training loss and the held-out
# kappa each epoch. It told drgrade's slow fitting apart from a training bug (both fitted alike) and
# found faster-fitting recipes cheaply on the CPU (docs/real-data.md). Needs PyTorch
# (scripts/setup.sh --torch); tests never run it.
#   /usr/bin/python3 scripts/real-torch-probe.py <cache> <labels.csv> <folds.csv> <fold> <epochs> \
#       [sgd|adamw] [strong|light] [growth,blocks,init]
import sys, csv, math, time, numpy as np, torch, torch.nn as nn, cv2
from torchvision.models import DenseNet
import torchvision.transforms as T
from sklearn.metrics import cohen_kappa_score
torch.set_num_threads(2); torch.manual_seed(0); np.random.seed(0)
cache, labels, folds_csv, fold, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
opt_name = sys.argv[6] if len(sys.argv) > 6 else 'sgd'
aug = sys.argv[7] if len(sys.argv) > 7 else 'strong'
lab = {r[0]: int(r[1]) for r in csv.reader(open(labels)) if r and r[0].startswith('Pat')}
fo = {r[0]: int(r[1]) for r in csv.reader(open(folds_csv)) if r and r[0] != 'id'}
def load(i): return cv2.cvtColor(cv2.imread(f'{cache}/B. Disease Grading/1. Original Images/a. Training Set/{i}.png'), cv2.COLOR_BGR2RGB)
ids = sorted(fo); X = {i: load(i) for i in ids}
tr = [i for i in ids if fo[i] != fold]; te = [i for i in ids if fo[i] == fold]
norm = T.Normalize([0.5]*3, [0.25]*3)
if aug == 'strong':
  ta = T.Compose([T.ToTensor(), T.RandomResizedCrop(128, scale=(0.85, 1), ratio=(0.9, 1.1)), T.RandomAffine(180, translate=(0.03, 0.03), scale=(0.95, 1.05), shear=5, fill=0.5),
                T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.ColorJitter(0.1, 0.1, 0.1), norm])
else:
  ta = T.Compose([T.ToTensor(), T.RandomHorizontalFlip(), T.RandomVerticalFlip(), norm])
te_t = T.Compose([T.ToTensor(), norm])
G, B, I = (int(v) for v in (sys.argv[8] if len(sys.argv) > 8 else "16,4,32").split(","))
m = DenseNet(growth_rate=G, block_config=(B,)*4, num_init_features=I, bn_size=4, num_classes=5)
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4) if opt_name == 'sgd' else torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-4)
base = [g['lr'] for g in opt.param_groups]
def factor(e, W=2): return (e + 1) / (W + 1) if e < W else 0.5 * (1 + math.cos(math.pi * (e - W) / (epochs - W)))
Xte = torch.stack([te_t(X[i]) for i in te]); yte = np.array([lab[i] for i in te])
for e in range(epochs):
  for g, b in zip(opt.param_groups, base): g['lr'] = b * factor(e)
  m.train(); perm = np.random.permutation(len(tr)); t0 = time.time(); ls = 0
  for s in range(0, len(perm) - 15, 16):
    bi = [tr[j] for j in perm[s:s+16]]
    x = torch.stack([ta(X[i]) for i in bi]); y = torch.tensor([lab[i] for i in bi])
    loss = nn.functional.cross_entropy(m(x), y); opt.zero_grad(); loss.backward(); opt.step(); ls += loss.item() * len(bi)
  m.eval()
  with torch.no_grad(): p = torch.softmax(m(Xte), 1).numpy()
  k = cohen_kappa_score(yte, p.argmax(1), weights='quadratic', labels=range(5))
  print(f'epoch {e+1} loss {ls/len(perm):.4f} heldout kappa {k:.3f} acc {(p.argmax(1)==yte).mean():.3f} {len(perm)/(time.time()-t0):.0f} img/s', flush=True)
