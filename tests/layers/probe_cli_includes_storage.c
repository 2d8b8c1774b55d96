/* layers-probe: target=treasuryctl expect=fail
 * treasuryctl (cli) may include core and base, never storage. */
#include "treasury/storage.h"
