#!/usr/bin/python3
"""Exports a seed CNN (torch_models.py, PyTorch's own initial weights) as ONNX, NCHW input `input` (N, 1, 28, 28)
with a dynamic batch, output `output`, opset 17: ONNX Runtime's best case, with no layout transposes.

usage: torch_onnx.py MODEL PATH     (MODEL: seed000 or seed003)
"""
import sys
import torch
import torch_models

model, path = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
net = torch_models.create(model).eval()
torch.onnx.export(net, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "n"}, "output": {0: "n"}}, opset_version=17)
