"""The seed CNNs in torch.nn, shared by torch_ref.py (training) and torch_onnx.py (ONNX export)."""
import torch.nn as nn


def seed000():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))

def seed003():
    def blk(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
    return nn.Sequential(*blk(1, 50), *blk(50, 50), nn.MaxPool2d(2), *blk(50, 50), *blk(50, 50), nn.MaxPool2d(2),
                         *blk(50, 50), *blk(50, 50), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(450, 50), nn.ReLU(),
                         nn.Dropout(0.5), nn.Linear(50, 10))


def create(name):
    """seed000 (the Keras MNIST CNN) or seed003 (the deep BatchNorm CNN)."""
    return {"seed000": seed000, "seed003": seed003}[name]()
