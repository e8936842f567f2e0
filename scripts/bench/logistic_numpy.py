#!/usr/bin/env python3
"""Times the provided logistic.py gradient descent (numpy) for the Swift benchmark.

Usage: logistic_numpy.py DATA_FILE [EPOCHS] [REPEATS]
Runs the provided loop (sigmoid, mean NLL with np.log, mean gradient, update, tolerance check)
for exactly EPOCHS epochs (tol = -1 so the stopping rule never fires; plotting and printing
removed), REPEATS times, and prints `median_ms <value>` and `final_nll <value>`.
"""
import sys
import time

import numpy as np


def run(X, t, epochs, eta=0.5, tol=-1.0):
    w = np.array([0.1, 0, 0])
    e_all = []
    for iter in range(0, epochs):
        y = 1.0 / (1.0 + np.exp(-np.dot(X, w)))
        e = -np.mean(np.multiply(t, np.log(y)) + np.multiply((1 - t), np.log(1 - y)))
        e_all.append(e)
        grad_e = np.mean(np.multiply((y - t), X.T), axis=1)
        w_old = w
        w = w - eta * grad_e
        if iter > 0:
            if np.absolute(e - e_all[iter - 1]) < tol:
                break
    return e_all


def main():
    data = np.genfromtxt(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    X = data[:, 0:3]
    t = data[:, 3]
    run(X, t, epochs)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        e_all = run(X, t, epochs)
        times.append(time.perf_counter() - start)
    print("median_ms %.6f" % (1000 * float(np.median(times))))
    print("final_nll %.17g" % e_all[-1])


if __name__ == "__main__":
    main()
