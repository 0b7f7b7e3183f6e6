#!/usr/bin/env python3
# Start-up as a user sees it: time from starting labbook in a pseudo-terminal to
# its first complete frame. Usage: first_frame_pty.py ./target/release/labbook --data-dir DIR
import os, pty, time, sys, select, signal, statistics, subprocess, fcntl, termios, struct
def once(cmd):
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack('HHHH', 48, 160, 0, 0))
    env=dict(os.environ, TERM="xterm-256color")
    t=time.perf_counter()
    p=subprocess.Popen(cmd, stdin=s, stdout=s, stderr=s, start_new_session=True, env=env)
    os.close(s)
    buf=b""; dt=float('nan')
    while True:
        r,_,_=select.select([m],[],[],5)
        if not r: break
        try: chunk=os.read(m, 65536)
        except OSError: break
        buf+=chunk
        if b"Deliverables" in buf and b"help" in buf:
            dt=time.perf_counter()-t; break
    p.kill(); p.wait(); os.close(m)
    return dt*1000
cmd=sys.argv[1:]
ts=[once(cmd) for _ in range(21)]
print(f"process start to first full frame in a pty: median {statistics.median(ts):.1f} ms, max {max(ts):.1f} ms over {len(ts)} runs")
