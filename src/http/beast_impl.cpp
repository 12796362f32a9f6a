// The one translation unit that compiles Boost.Beast and Asio's SSL support
// (BOOST_BEAST_SEPARATE_COMPILATION, BOOST_ASIO_SEPARATE_COMPILATION).
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
