/* layers-probe: target=treasury_api expect=ok
 * api may include storage's engine interface. */
#include "treasury/writer.h"
