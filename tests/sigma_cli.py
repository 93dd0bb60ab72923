"""Runs sigma-cli without network access (tests/sigma.rs).

pySigma's ATT&CK tag validator downloads MITRE's STIX data on first use. Here the data is
a small STIX bundle written from spoor's own tables (data/attack-techniques.txt and
data/attack-tactics.txt), so `sigma check` checks each tag against the ATT&CK ids and
tactic names spoor knows. Usage: python sigma_cli.py DATA_DIR WORK_DIR sigma-arguments...
"""
import json
import os
import sys


def bundle(data_dir):
    objects = [{"type": "x-mitre-collection", "id": "x-mitre-collection--spoor", "x_mitre_version": "spoor"}]
    tactics = set()
    with open(os.path.join(data_dir, "attack-tactics.txt"), encoding="utf-8") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words and words[0] == "order":
                tactics.update(words[1:])
    for i, t in enumerate(sorted(tactics)):
        objects.append({"type": "x-mitre-tactic", "id": f"x-mitre-tactic--{i}", "x_mitre_shortname": t,
                        "external_references": [{"source_name": "mitre-attack", "external_id": f"TA9{i:03d}"}]})
    with open(os.path.join(data_dir, "attack-techniques.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            tid, name = (line.split(None, 1) + [""])[:2]
            objects.append({"type": "attack-pattern", "id": f"attack-pattern--{tid}", "name": name,
                            "external_references": [{"source_name": "mitre-attack", "external_id": tid}]})
    return {"type": "bundle", "id": "bundle--spoor", "objects": objects}


def main():
    data_dir, work = sys.argv[1], sys.argv[2]
    path = os.path.join(work, "attack.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(bundle(data_dir), f)
    from sigma.data import mitre_attack
    mitre_attack.set_cache_dir(os.path.join(work, "cache"))
    mitre_attack.set_url(path)
    from sigma.cli.main import main as sigma_main
    sys.argv = ["sigma"] + sys.argv[3:]
    sigma_main()


if __name__ == "__main__":
    main()
