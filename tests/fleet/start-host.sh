#!/bin/sh
# Turns a fresh mount/UTS/PID namespace (made by fleet.py with unshare) into one fleet host,
# then becomes that host's sshd as PID 1: killing that one process ends the host.
#
#   start-host.sh HOST_DIR IMAGE_LAYER RUN_LAYER HOSTNAME SSHD_ARG...
#
# The host's root is one overlay: lower = the machine's /, upper = a private tmpfs seeded
# with the image layer and the host layer (hostname, host keys). Writes made over SSH land in
# that tmpfs and vanish with the namespace; the machine's files are never touched.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin  # never the host's /usr/local: images shadow commands there
export PATH

host_dir=$1 image_layer=$2 run_layer=$3 host_name=$4
shift 4

mnt=$host_dir/mnt
mount -t tmpfs -o mode=0755,size="${FLEET_TMPFS_SIZE:-256m}" fleet-host "$mnt"
mkdir "$mnt/upper" "$mnt/work" "$mnt/root"
cp -a "$image_layer/." "$mnt/upper/"
cp -a "$host_dir/layer/." "$mnt/upper/"
mount -t overlay fleet-root -o "lowerdir=/,upperdir=$mnt/upper,workdir=$mnt/work" "$mnt/root"

root=$mnt/root
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
# The kernel is the machine's; an image that records another release (kernel_release in
# image.yaml) gets it where the kernel publishes it, so the host reads it as it would its own.
if [ -f "$host_dir/kernel-release" ]; then
  mount --bind "$host_dir/kernel-release" "$root/proc/sys/kernel/osrelease"
fi
mount --rbind /sys "$root/sys"
mount -o remount,bind,ro "$root/sys"
mount -t tmpfs -o mode=0755,size=16m run "$root/run"
mkdir -m 0755 "$root/run/sshd"
cp -a "$run_layer/." "$root/run/"
hostname "$host_name"

cd "$root"
pivot_root . .
umount -l .
cd /
exec /usr/sbin/sshd -D -e "$@"
