# /etc/profile.d/idmgr-tmout.sh -- a login shell left without input for
# 10 minutes exits (R-LOGIN-1; idmgr.conf login.idle_timeout = 600).
# Read-only, so that a user cannot unset it.  bash, ksh and zsh honour
# TMOUT; dash does not (logind's StopIdleSessionSec covers it).
# Checked by: idmgr config check --host
TMOUT=600
readonly TMOUT
export TMOUT
