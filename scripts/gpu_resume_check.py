#!/usr/bin/env python3
"""Crash resume on the GPU (scripts/gpu-check, step `resume`): `xct recon --device cuda` on a
simulated scan (slabs of one slice), killed (SIGKILL) as soon as its journal records 3
slabs, then run again; the
rerun must keep the recorded slices and write TIFF slices byte for byte equal to an
uninterrupted run's. Standard library only (the GPU machine has no numpy or h5py).

usage: gpu_resume_check.py XCT WORKDIR [--json FILE]"""
import glob, json, os, shutil, subprocess, sys, time

xct, work = sys.argv[1], sys.argv[2]
out_json = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
subprocess.run([xct, "--no-progress", "-q", "simulate", os.path.join(work, "sim"), "--cols", "256",
                "--rows", "32", "--angles", "1201", "--interface-voids", "0", "--no-previews",
                "--truth", "none"], check=True,
               stdout=subprocess.DEVNULL)
scan = os.path.join(work, "sim", "scan_t00.h5")
out = os.path.join(work, "out")
cmd = [xct, "--no-progress", "recon", scan, "-o", out, "--device", "cuda",
       "--nsino-per-chunk", "1", "--rotation-axis", "128.35"]


def slices(folder):
    return {os.path.basename(p): open(p, "rb").read()
            for p in sorted(glob.glob(os.path.join(folder, "recon_*.tiff")))}


r = subprocess.run(cmd, capture_output=True, text=True)
assert r.returncode == 0, r.stderr
ref = slices(out)
report = json.load(open(os.path.join(out, "report.json")))
shutil.rmtree(out)
journal = os.path.join(out, ".partial", "resume.journal")
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
recorded, t0 = 0, time.time()
while p.poll() is None and time.time() - t0 < 120:
    try:
        recorded = open(journal).read().count("\nslab ")
    except FileNotFoundError:
        pass
    if recorded >= 3:
        break
    time.sleep(0.0002)
finished_first = p.poll() is not None
p.kill()
p.wait()
recorded = open(journal).read().count("\nslab ") if os.path.exists(journal) else 0
r2 = subprocess.run(cmd, capture_output=True, text=True)
again = json.load(open(os.path.join(out, "report.json"))) if r2.returncode == 0 else {}
result = {
    "device": report["device"]["kind"],
    "streamed": "stream" in report["device"],
    "slices": len(ref),
    "recorded_slabs_when_killed": recorded,
    "finished_before_the_kill": finished_first,
    "rerun_exit": r2.returncode,
    "resumed_slices": again.get("output", {}).get("resumed_slices"),
    "identical": r2.returncode == 0 and slices(out) == ref,
}
print(json.dumps(result))
if out_json:
    json.dump(result, open(out_json, "w"), indent=2)
ok = (result["device"] == "cuda" and result["identical"] and recorded >= 1 and
      result["resumed_slices"] is not None and result["resumed_slices"] >= recorded)
sys.exit(0 if ok else 1)
