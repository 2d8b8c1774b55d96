/* layers-probe: target=treasury_core expect=ok
 * core's own headers compile with core's include path (so the failing probes fail for the layering, not for a broken setup). */
#include "treasury/amount.h"
