/* layers-probe: target=treasuryctl expect=fail
 * treasuryctl (cli) may include core and base, never api. */
#include "treasury/api.h"
