/* layers-probe: target=treasury_storage expect=fail
 * storage may include core and base, never api. */
#include "treasury/api.h"
