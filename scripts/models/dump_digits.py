"""Prints the held-out digits (the split train_digits.py holds out) as JSON:
{"images": [[64 uint8 values: the 8x8 digit, rows top to bottom, 0..255], ...], "labels": [...]}

    python scripts/models/dump_digits.py [OUT.json]     (stdout without a path)"""
import json
import sys

import digits_data as dd


def main():
    _, x_test, _, y_test = dd.split()
    data = {"images": [dd.render8(row).ravel().tolist() for row in x_test], "labels": [int(y) for y in y_test]}
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(data, f)
    else:
        json.dump(data, sys.stdout)


if __name__ == "__main__":
    main()
