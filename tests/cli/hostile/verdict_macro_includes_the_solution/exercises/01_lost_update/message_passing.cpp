// A hostile submission (test data for the grader's verdicts): it includes the instructor's
// reference solution through a macro, which no text scan of #include lines sees. It must be
// rejected (the compiler's own list of the files it read names the solution).
#define DCA_PARENT ../..
#define DCA_STRING(x) #x
#define DCA_PATH(x) DCA_STRING(x/solutions/01_lost_update/message_passing.cpp)
#include DCA_PATH(DCA_PARENT)
