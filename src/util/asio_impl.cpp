// The one translation unit that compiles Boost.Asio (BOOST_ASIO_SEPARATE_COMPILATION).
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <boost/asio/impl/src.hpp>
