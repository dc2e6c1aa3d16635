"""Write the CPU metrics a monitoring system would export for the demo's web tier.

Five days of 5-minute samples with a daily rhythm; from a few minutes after the given moment (the
"scale web tier" apply), web[0] runs hot. Long CSV format: timestamp,resource,metric,value.
"""

import math
import random
import sys
from datetime import datetime, timedelta

changed = datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
out = sys.argv[2]
rng = random.Random(7)
start = changed - timedelta(days=5)
step = timedelta(minutes=5)
with open(out, "w") as handle:
    handle.write("timestamp,resource,metric,value\n")
    moment = start
    while moment <= changed + timedelta(hours=3):
        hour = moment.hour + moment.minute / 60
        for i in range(3):
            cpu = 35 + 12 * math.sin(2 * math.pi * hour / 24) + rng.gauss(0, 2)
            if i == 0 and moment >= changed + timedelta(minutes=10):
                cpu += 30
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            handle.write(f"{stamp},terraform_data.web[{i}],cpu,{cpu:.2f}\n")
        moment += step
