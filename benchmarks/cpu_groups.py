"""A fork storm beside a neighbour, with and without a cpu cgroup per submission (root, cgroups).

Prints how much slower a neighbour's busy loop runs beside 24 busy processes when they all share
one group, and when the storm and the neighbour each have the group the grader gives a
submission (``tlkit.grading.sandbox.cgroups``). A ratio measured in one run: noisy on a shared
machine. ``python benchmarks/cpu_groups.py``
"""
import os, subprocess, sys, time
from tlkit.grading.sandbox import cgroups
from tlkit.grading.sandbox.environment import usable_cpus
BUSY = "import time\nend=time.time()+{s}\nn=0\nwhile time.time()<end: n+=1\nprint(n)"
def run(grouped):
    groups = []
    def make(tag):
        g = cgroups.for_submission(f"tlkit-{os.getpid()}-{tag}", 500, 200, cpus=usable_cpus())
        groups.append(g); return g.attach_self
    storm_pre = make("storm") if grouped else None
    storm = [subprocess.Popen([sys.executable, "-c", BUSY.format(s=6)], stdout=subprocess.DEVNULL,
                              preexec_fn=storm_pre) for _ in range(24)]
    time.sleep(0.5)
    n = subprocess.run([sys.executable, "-c", BUSY.format(s=4)], capture_output=True, text=True,
                       preexec_fn=make("neigh") if grouped else None).stdout
    for p in storm: p.wait()
    for g in groups: g.kill_and_remove()
    return int(n)
alone = int(subprocess.run([sys.executable, "-c", BUSY.format(s=4)], capture_output=True, text=True).stdout)
flat = run(False); grouped = run(True)
print(f"neighbour loop iterations in 4 s: alone {alone:,}; beside 24 busy processes, no groups {flat:,} ({alone/flat:.1f}x slower); each in its own cpu group {grouped:,} ({alone/grouped:.1f}x slower)")
