// Asio and Beast are compiled here once (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set for every file of the project), instead of in every
// file that includes them: the project builds in minutes on two cores.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
