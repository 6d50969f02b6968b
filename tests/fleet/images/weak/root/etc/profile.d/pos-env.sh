# POS terminal environment (vendor installer)
export POS_HOME=/opt/pos
export PATH="$PATH:/opt/pos/bin"
# Managers complained about being logged out of the back-office shell.
export TMOUT=0
