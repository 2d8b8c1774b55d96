/* layers-probe: target=treasury_core expect=fail
 * core may include core and base only, never storage's engine interface. */
#include "treasury/writer.h"
