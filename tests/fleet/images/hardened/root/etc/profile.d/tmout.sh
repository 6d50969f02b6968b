# Log out idle interactive shells after 15 minutes (PCI DSS 8.2.8); readonly so users cannot unset it.
TMOUT=900
readonly TMOUT
export TMOUT
