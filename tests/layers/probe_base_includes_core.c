/* layers-probe: target=treasury_base expect=fail
 * base depends on nothing above it: no core header. */
#include "treasury/amount.h"
